package net.koukan.dsn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.MimeConfig;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Shared requests and the two independent parsers (mime4j in-process, Python's email package). */
final class DsnFixtures {
  static final Instant NOW = Instant.parse("2025-06-03T11:05:30.123Z");
  static final Instant ARRIVAL = Instant.parse("2025-06-01T08:00:00Z");
  static final Instant LAST = Instant.parse("2025-06-03T11:05:00Z");
  static final Instant RETRY_UNTIL = Instant.parse("2025-06-06T08:00:00Z");
  static final String ORIGINAL_HEADERS = ""
      + "Received: from client.example.org (client.example.org [192.0.2.7])\r\n"
      + "\tby mail.example.com with ESMTPS; Sun, 1 Jun 2025 08:00:00 +0000\r\n"
      + "Message-ID: <orig-123.456@example.org>\r\n"
      + "From: Alice <alice@example.org>\r\n"
      + "To: bob@example.net\r\n"
      + "Subject: hello\r\n";
  static final byte[] ORIGINAL_MESSAGE =
      (ORIGINAL_HEADERS + "\r\nthe body must not be returned\r\n").getBytes(StandardCharsets.US_ASCII);

  private DsnFixtures() {}

  static DsnRecipient failed(String address, int code, String text) {
    return new DsnRecipient(address, "failed", Dsn.statusFor(code, text), code, text,
        "mx.example.net", LAST, null);
  }

  static DsnRecipient delayed(String address, int code, String text) {
    return new DsnRecipient(address, "delayed", Dsn.statusFor(code, text), code, text,
        "mx.example.net", LAST, RETRY_UNTIL);
  }

  static DsnRequest request(List<DsnRecipient> recipients, byte[] original) {
    return new DsnRequest("mail.example.com", "mailer-daemon@example.com", "alice@example.org",
        "envid-42", ARRIVAL, recipients, original, NOW, "a1b2c3d4e5f6");
  }

  // ------------------------------------------------------------------ checks on raw bytes

  /** Every CR is followed by LF and every LF preceded by CR; no line over 998 octets. */
  static void assertCrlfAndLineLimits(byte[] msg) {
    int lineLen = 0;
    for (int i = 0; i < msg.length; i++) {
      byte b = msg[i];
      if (b == '\r') {
        assertThat(i + 1 < msg.length && msg[i + 1] == '\n').as("bare CR at %d", i).isTrue();
      } else if (b == '\n') {
        assertThat(i > 0 && msg[i - 1] == '\r').as("bare LF at %d", i).isTrue();
        lineLen = 0;
        continue;
      }
      if (b != '\r') {
        lineLen++;
        assertThat(lineLen).as("line length at %d", i).isLessThanOrEqualTo(998);
      }
    }
    assertThat(msg[msg.length - 2]).isEqualTo((byte) '\r');
    assertThat(msg[msg.length - 1]).isEqualTo((byte) '\n');
  }

  static void assert7bit(byte[] msg) {
    for (int i = 0; i < msg.length; i++) {
      assertThat(msg[i] > 0).as("8-bit or NUL byte at %d", i).isTrue();
    }
  }

  static List<String> lines(byte[] msg) {
    return List.of(new String(msg, StandardCharsets.UTF_8).split("\r\n", -1));
  }

  // ------------------------------------------------------------------ mime4j

  static Message mime4j(byte[] msg) throws IOException {
    DefaultMessageBuilder builder = new DefaultMessageBuilder();
    builder.setMimeEntityConfig(MimeConfig.custom()
        .setStrictParsing(true)
        .setMaxLineLen(1000)
        .setMaxHeaderLen(10_000)
        .setMaxHeaderCount(100)
        .setMaxContentLen(-1)
        .build());
    builder.setDecodeMonitor(DecodeMonitor.STRICT);
    builder.setContentDecoding(true);
    return builder.parseMessage(new ByteArrayInputStream(msg));
  }

  static List<Entity> parts(Message m) {
    assertThat(m.getBody()).isInstanceOf(Multipart.class);
    return ((Multipart) m.getBody()).getBodyParts();
  }

  /** Decoded content of a leaf part. */
  static byte[] content(Entity part) throws IOException {
    assertThat(part.getBody()).isInstanceOf(SingleBody.class);
    try (InputStream in = ((SingleBody) part.getBody()).getInputStream()) {
      return in.readAllBytes();
    }
  }

  /**
   * Groups of a delivery-status body (RFC 3464 §2.1): blank-line separated blocks of fields,
   * unfolded (CRLF before whitespace removed). Keys keep their order and spelling.
   */
  static List<Map<String, String>> statusGroups(byte[] body) {
    String text = new String(body, StandardCharsets.US_ASCII);
    List<Map<String, String>> groups = new ArrayList<>();
    for (String block : text.strip().split("\r\n\r\n")) {
      Map<String, String> fields = new LinkedHashMap<>();
      for (String field : block.split("\r\n(?![ \t])")) {
        String unfolded = field.replace("\r\n", "");
        int colon = unfolded.indexOf(':');
        assertThat(colon).as("field %s", unfolded).isPositive();
        String old = fields.put(unfolded.substring(0, colon), unfolded.substring(colon + 1).strip());
        assertThat(old).as("duplicate field %s", unfolded).isNull();
      }
      groups.add(fields);
    }
    return groups;
  }

  // ------------------------------------------------------------------ Python's email package

  private static final String PYTHON_SCRIPT = """
      import base64, email, json, re, sys
      raw = sys.stdin.buffer.read()
      m = email.message_from_bytes(raw)
      def unfold(v):
          return re.sub(r'\\r?\\n(?=[ \\t])', '', str(v)).strip()
      def hdrs(msg):
          return [[k, unfold(v)] for k, v in msg.items()]
      out = {'defects': [type(d).__name__ for d in m.defects],
             'headers': hdrs(m),
             'content_type': m.get_content_type(),
             'is_multipart': m.is_multipart(),
             'report_type': m.get_param('report-type'),
             'report_type_underscore': m.get_param('report_type'),
             'boundary': m.get_boundary(),
             'parts': []}
      for p in m.get_payload():
          d = {'content_type': p.get_content_type(),
               'cte': p.get('Content-Transfer-Encoding'),
               'charset': p.get_content_charset(),
               'defects': [type(x).__name__ for x in p.defects]}
          if p.get_content_type() == 'message/delivery-status':
              blocks = p.get_payload()
              d['blocks'] = [hdrs(b) for b in blocks]
              d['block_defects'] = [type(x).__name__ for b in blocks for x in b.defects]
          else:
              payload = p.get_payload(decode=True)
              d['base64'] = base64.b64encode(payload).decode('ascii')
          out['parts'].append(d)
      print(json.dumps(out))
      """;

  private static volatile Boolean pythonAvailable;

  private static boolean pythonAvailable() {
    if (pythonAvailable == null) {
      boolean ok;
      try {
        Process p = new ProcessBuilder("python3", "-c", "import email, json")
            .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        ok = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      } catch (IOException e) {
        ok = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ok = false;
      }
      pythonAvailable = ok;
    }
    return pythonAvailable;
  }

  /** Skips the calling test when python3 is missing, except on CI (CI=true), where it fails. */
  static void requirePython() {
    if (pythonAvailable()) {
      return;
    }
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      Assertions.fail("python3 with the email package is required on CI (CI=true)");
    }
    Assumptions.abort("python3 is not available; skipping the independent-parser check");
  }

  /** Parses {@code msg} with Python's email package; returns the JSON summary. */
  static JsonNode python(byte[] msg) throws IOException, InterruptedException {
    requirePython();
    Process p = new ProcessBuilder("python3", "-c", PYTHON_SCRIPT).start();
    Thread writer = Thread.ofVirtual().start(() -> {
      try (OutputStream in = p.getOutputStream()) {
        in.write(msg);
      } catch (IOException e) {
        // the process died; its exit status and stderr tell why
      }
    });
    byte[] stdout = p.getInputStream().readAllBytes();
    String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    writer.join();
    assertThat(p.exitValue()).as("python3 failed: %s", stderr).isZero();
    return new ObjectMapper().readTree(stdout);
  }

  /** Header name/value pairs from the JSON summary's [[name, value], ...] list. */
  static List<Map.Entry<String, String>> pairs(JsonNode list) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    list.forEach(n -> out.add(Map.entry(n.get(0).asText(), n.get(1).asText())));
    return out;
  }

  static Map<String, String> map(JsonNode list) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : pairs(list)) {
      assertThat(out.put(e.getKey(), e.getValue())).as("duplicate %s", e.getKey()).isNull();
    }
    return out;
  }

  static byte[] decoded(JsonNode part) {
    return java.util.Base64.getDecoder().decode(part.get("base64").asText());
  }
}
