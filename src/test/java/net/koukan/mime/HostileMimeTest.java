package net.koukan.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.ChainTemplate;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterRegistry;
import net.koukan.filter.FilterTx;
import net.koukan.policy.MessageValidationFilter;
import net.koukan.policy.PolicyActionFilter;
import net.koukan.storage.Database;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.MutableClock;
import net.koukan.testing.RouterHarness;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #5: hostile MIME (unterminated boundaries, 1,000-deep nesting, 10 MB headers, invalid
 * encodings, missing header/body separator, absurd boundaries) never crashes a worker. The
 * message parser (directly and as {@code message_parser}) returns, lists defects and keeps the
 * original bytes; {@code message_validation} with a {@code policy_action} REJECT rule gives the
 * transaction a clear permanent error or lets the message through untouched, as configured; and a
 * router answers such a message with the 5xx and goes on serving.
 *
 * <p>The time limits are hang guards only (generous, preemptive), not performance assertions.
 */
class HostileMimeTest {
  static final Duration HANG_GUARD = Duration.ofSeconds(20);
  static final int MB = 1 << 20;

  static final String HEAD = "From: Alice <alice@example.com>\r\n"
      + "To: bob@example.org\r\n"
      + "Date: Wed, 07 Feb 2024 14:47:00 -0800\r\n"
      + "Message-ID: <hostile.1@example.com>\r\n"
      + "Subject: hostile\r\n"
      + "MIME-Version: 1.0\r\n";

  // ------------------------------------------------------------------ the hostile messages

  /**
   * One hostile message.
   *
   * @param validity what {@code message_validation} must classify it as
   * @param error a part of the signal's {@code error} (null for HIGH)
   * @param defect a part of one of the parser's defects (null: none required)
   */
  record Hostile(String name, Supplier<byte[]> bytes, String validity, String error, String defect) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Built once per class: some are 10 MB. */
  static final Map<String, byte[]> BUILT = new ConcurrentHashMap<>();

  static Hostile h(String name, Supplier<byte[]> bytes, String validity, String error, String defect) {
    return new Hostile(name, () -> BUILT.computeIfAbsent(name, k -> bytes.get()), validity, error, defect);
  }

  static Hostile h(String name, String latin1, String validity, String error, String defect) {
    return h(name, () -> latin1.getBytes(StandardCharsets.ISO_8859_1), validity, error, defect);
  }

  static String multipart(String boundary) {
    return "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  }

  static final String TEXT_PART = "Content-Type: text/plain\r\n\r\n";

  /** {@code levels} multiparts, each the only part of the one around it; closed or not. */
  static byte[] nestedMultiparts(int levels, boolean closed) {
    StringBuilder open = new StringBuilder(HEAD);
    StringBuilder close = new StringBuilder();
    for (int i = 0; i < levels; i++) {
      open.append("Content-Type: multipart/mixed; boundary=\"b").append(i).append("\"\r\n\r\n")
          .append("--b").append(i).append("\r\n");
    }
    open.append(TEXT_PART).append("the innermost leaf");
    for (int i = levels - 1; i >= 0 && closed; i--) {
      close.append("\r\n--b").append(i).append("--");
    }
    return open.append(close).append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code levels} message/rfc822 entities, each encapsulating the next. */
  static byte[] nestedMessages(int levels) {
    StringBuilder b = new StringBuilder(HEAD);
    for (int i = 0; i < levels; i++) {
      b.append("Content-Type: message/rfc822\r\n\r\n")
          .append("Subject: level ").append(i + 1).append("\r\n");
    }
    return b.append(TEXT_PART).append("the innermost message\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] withHugeField(String before, String fieldStart, long size, boolean folded, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) size + 4096);
    out.writeBytes(before.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(fieldStart.getBytes(StandardCharsets.US_ASCII));
    byte[] line = ("a".repeat(76) + (folded ? "\r\n " : "")).getBytes(StandardCharsets.US_ASCII);
    for (long n = 0; n < size; n += line.length) {
      out.writeBytes(line);
    }
    out.writeBytes(("x\r\n" + after).getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  static byte[] manyFields(int count) {
    StringBuilder b = new StringBuilder(HEAD);
    for (int i = 0; i < count; i++) {
      b.append("X-Field-").append(i).append(": value ").append(i).append("\r\n");
    }
    return b.append("\r\nbody\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] random(int size) {
    byte[] b = new byte[size];
    new Random(5).nextBytes(b);
    return b;
  }

  static List<Hostile> cases() {
    String longBoundary = "B".repeat(1000);
    return List.of(
        h("unterminated multipart: the closing boundary never comes",
            HEAD + multipart("XyZ") + "preamble\r\n--XyZ\r\n" + TEXT_PART + "first\r\n--XyZ\r\n" + TEXT_PART
                + "second, never closed\r\n",
            "MEDIUM", "MIME defect", "missing closing boundary"),
        h("multipart whose boundary is never used",
            HEAD + multipart("never-used") + "no delimiter line at all\r\n--never-used-either\r\n",
            "MEDIUM", "MIME defect", "multipart boundary not found"),
        h("nested multiparts, neither closed",
            HEAD + multipart("outer") + "--outer\r\n" + multipart("inner") + "--inner\r\n" + TEXT_PART
                + "deep\r\n--inner\r\n" + TEXT_PART + "deeper, and then the message ends\r\n",
            "MEDIUM", "MIME defect", "missing closing boundary"),
        h("1,000 nested multiparts", () -> nestedMultiparts(1000, true),
            "MEDIUM", "MIME tree deeper than 20", "nested deeper than 10"),
        h("1,000 nested multiparts, none closed", () -> nestedMultiparts(1000, false),
            "MEDIUM", "MIME defect", "nested deeper than 10"),
        h("1,000 nested message/rfc822", () -> nestedMessages(1000),
            "MEDIUM", "MIME tree deeper than 20", "nested deeper than 10"),
        h("a single 10 MB header field on one line",
            () -> withHugeField(HEAD, "X-Huge: ", 10 * MB, false, "\r\nbody\r\n"),
            "NONE", "no end of the header section", "header line longer than 65536 bytes (cut)"),
        h("a 10 MB header field, folded",
            () -> withHugeField(HEAD, "X-Huge: ", 10 * MB, true, "\r\nbody\r\n"),
            "NONE", "no end of the header section", "header longer than 1048576 bytes"),
        h("100,000 header fields", () -> manyFields(100_000),
            "NONE", "no end of the header section", "header longer than 1048576 bytes"),
        h("a 10 MB header field in a body part",
            () -> withHugeField(HEAD + multipart("XyZ") + "--XyZ\r\n", "X-Huge: ", 10 * MB, false,
                TEXT_PART + "x\r\n--XyZ--\r\n"),
            "MEDIUM", "MIME defect", "header line longer than 65536 bytes (cut)"),
        h("invalid base64",
            HEAD + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + "@@@@ not base64 !!! \u00ff\u0000 aGVsbG8=d29ybGQ=x\r\n",
            "MEDIUM", "MIME defect", "base64"),
        h("invalid quoted-printable",
            HEAD + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                + "bad =ZZ escape, =4 half, 8-bit \u00e9\u00ff, =\r\n" + "x".repeat(5000) + "=",
            "MEDIUM", "MIME defect", "content: "),
        h("unknown transfer encoding",
            HEAD + "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nuryyb\r\n",
            "HIGH", null, "unknown Content-Transfer-Encoding x-rot13"),
        h("unknown charset",
            HEAD + "Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nsome \u00e9 text\r\n",
            "HIGH", null, "unknown charset x-no-such-charset"),
        h("a charset name that is not a name",
            HEAD + "Content-Type: text/plain; charset=\"#!?/ :-(\"\r\n\r\nsome \u00e9 text\r\n",
            "HIGH", null, "unknown charset"),
        h("broken encoded-words",
            HEAD.replace("Subject: hostile", "Subject: =?x-unknown?q?abc?= =?utf-8?b?!!!?= =?utf-8?q?open")
                + "Content-Type: text/plain; name==?utf-8?b?w6?=\r\n\r\nhi\r\n",
            "MEDIUM", "MIME defect", "header subject: encoded-word not decoded as written"),
        h("8-bit bytes in the message header",
            HEAD + "X-Latin: caf\u00e9 \u00ff\u00fe\r\n\r\nbody\r\n",
            "BASIC", "8-bit data without SMTPUTF8", "8-bit bytes that are not UTF-8"),
        h("8-bit bytes in a part header",
            HEAD + multipart("XyZ") + "--XyZ\r\nContent-Type: text/plain; name=\"\u00ff\u00fe.txt\"\r\n\r\nx\r\n--XyZ--\r\n",
            "MEDIUM", "8-bit data without SMTPUTF8 in header Content-Type", "8-bit bytes that are not UTF-8"),
        h("NUL bytes in the header",
            HEAD + "X-Nul: a\u0000b\r\n\r\nbody\r\n",
            "BASIC", "control character U+0000", null),
        h("NUL bytes in bodies and around boundaries",
            HEAD + multipart("XyZ") + "--XyZ\r\n" + TEXT_PART + "a\u0000b\u0000\r\n--XyZ\u0000\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n\u0000\u0000\u0000\r\n--XyZ--\r\n",
            "HIGH", null, null),
        h("no header/body separator: the body follows the header",
            HEAD + "This line is the body, not a header field\r\nand so is this one\r\n",
            "NONE", "no end of the header section", "missing blank line between header and body"),
        h("no header/body separator: the first blank line is inside the body",
            HEAD + "This line is the body, not a header field\r\n\r\nsecond paragraph\r\n",
            "NONE", "line 7 of the header section is not a header field",
            "missing blank line between header and body"),
        h("a header and nothing else, not even a line end",
            HEAD + "X-Last: no line end", "NONE", "no end of the header section", null),
        h("LF line ends only",
            (HEAD + "\r\nbody\r\n").replace("\r\n", "\n"), "NONE", "no end of the header section", null),
        // RFC 2046 allows 70 characters; mime4j (hence message_validation) does not check the
        // length, so the message is HIGH and only our parser notes that it cannot use it
        h("a boundary parameter 1,000 characters long",
            HEAD + multipart(longBoundary) + "--" + longBoundary + "\r\n" + TEXT_PART + "x\r\n--" + longBoundary
                + "--\r\n",
            "HIGH", null, "multipart without a usable boundary"),
        h("a boundary parameter 1,000 characters long, never closed",
            HEAD + multipart(longBoundary) + "--" + longBoundary + "\r\n" + TEXT_PART + "x\r\n",
            "MEDIUM", "MIME defect", "multipart without a usable boundary"),
        h("an empty message", "", "NONE", "no end of the header section", null),
        h("64 KiB of random bytes", () -> random(64 * 1024), "NONE", "no end of the header section", null));
  }

  // ------------------------------------------------------------------ (i) the parser

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parserReturnsListsDefectsAndKeepsTheOriginal(Hostile h) {
    byte[] message = h.bytes().get();
    byte[] copy = message.clone();

    // MessageParser directly: the JSON serializes and every blob it names can be read
    MessageParser.Result r = assertTimeoutPreemptively(HANG_GUARD, () -> {
      MessageParser.Result result = new MessageParser().parse(message);
      assertThat(result.json().toString()).isNotEmpty();
      for (BlobSource b : result.blobs().values()) {
        assertThat(MimeTesting.read(b)).hasSize((int) b.length());
      }
      return result;
    }, h.name());
    assertThat(message).as("the input is not modified").isEqualTo(copy);
    List<String> defects = defects(r.json());
    if (h.defect() != null) {
      assertThat(defects).as("defects").anySatisfy(d -> assertThat(d).contains(h.defect()));
    }

    // message_parser in a chain: a builder body for the filters after it, with the original
    // message byte for byte; message_builder after it turns it back into exactly that message
    Spy spy = new Spy();
    Capture out = new Capture();
    FilterTx tx = tx(message);
    tx.options((ObjectNode) MimeTesting.json("{\"receive_parsing\": {\"max_inline\": 1000}}"));
    assertTimeoutPreemptively(HANG_GUARD, () -> {
      try (Chain chain = new Chain(List.of(MimeFiltersTest.parserFilter(), spy, MimeFiltersTest.builderFilter(),
          out))) {
        chain.update(tx, ALL);
      }
    }, h.name());
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 captured"));
    assertThat(spy.body).as("message_parser parsed it (no fallback)").isInstanceOf(Body.Builder.class);
    Body.Builder parsed = (Body.Builder) spy.body;
    assertThat(MimeTesting.read(parsed.blobs().get(MessageParserFilter.RAW_BLOB))).isEqualTo(copy);
    assertThat(defects(parsed.spec())).isEqualTo(defects);
    assertThat(out.bytes).as("the message leaves the chain untouched").isEqualTo(copy);
  }

  /** Every defect of the parsed-message JSON, depth first. */
  static List<String> defects(JsonNode n) {
    List<String> out = new ArrayList<>();
    collect(n.get("parts"), out);
    return out;
  }

  private static void collect(JsonNode n, List<String> out) {
    if (n == null) {
      return;
    }
    n.path("defects").forEach(d -> out.add(d.asText()));
    n.path("parts").forEach(p -> collect(p, out));
  }

  // ------------------------------------------------------------------ (ii) validation and policy

  static final String CHAINS = """
      rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
      sender: [{name: s, output_chain: strict}]
      endpoint:
      - name: strict
        chain:
        - filter: message_validation
        - filter: policy_action
          tag: message
          name: mime_defects
          match: {matcher: message_validation, validity_threshold: HIGH}
          action: REJECT
        - filter: message_parser
        - filter: message_builder
        - filter: capture
      - name: lenient
        chain:
        - filter: message_validation
        - filter: policy_action
          tag: message
          name: no_header
          match: {matcher: message_validation, validity_threshold: BASIC}
          action: REJECT
          code: 554
          message: 5.6.0 malformed message (no readable header section)
        - filter: message_parser
        - filter: message_builder
        - filter: capture
      - name: monitor
        chain:
        - filter: message_validation
        - filter: policy_action
          tag: message
          name: noted
          match: {matcher: message_validation, validity_threshold: HIGH}
          action: LOG
        - filter: message_parser
        - filter: message_builder
        - filter: capture
      """;

  static final List<String> LEVELS = List.of("NONE", "BASIC", "MEDIUM", "HIGH");

  /** endpoint → (threshold below which it rejects, the rejection) or no rejection. */
  record Policy(String endpoint, String threshold, Response reject) {}

  static final List<Policy> POLICIES = List.of(
      new Policy("strict", "HIGH", new Response(550, "5.6.0 message rejected mime_defects")),
      new Policy("lenient", "BASIC", new Response(554, "5.6.0 malformed message (no readable header section)")),
      new Policy("monitor", null, null));

  static Map<String, ChainTemplate> chains() {
    FilterRegistry registry = new FilterRegistry()
        .register(new MessageValidationFilter.Factory())
        .register(new PolicyActionFilter.Factory(Map.of(), new Random(1)))
        .register(new MessageParserFilter.Factory())
        .register(new MessageBuilderFilter.Factory(MimeTesting.CLOCK, "router.example"))
        .register(new FilterFactory() {
          @Override
          public String name() {
            return "capture";
          }

          @Override
          public Supplier<Filter> prepare(FilterStanza stanza) {
            return Capture::new;
          }
        });
    return registry.prepare(RouterConfig.parse(CHAINS, "hostile.yaml"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void validationRejectsPermanentlyOrPassesThroughUntouched(Hostile h) {
    byte[] message = h.bytes().get();
    byte[] copy = message.clone();
    Map<String, ChainTemplate> chains = chains();
    for (Policy p : POLICIES) {
      // as over SMTP: MAIL and RCPT are answered before the body arrives
      FilterTx tx = new FilterTx("hostile", "s", null);
      tx.options((ObjectNode) MimeTesting.json("{\"receive_parsing\": {}}"));
      tx.mailFrom(Mailbox.of("alice@example.com"));
      tx.addRcpt(Mailbox.of("bob@example.org"));
      Chain chain = chains.get(p.endpoint()).newChain();
      Capture out = (Capture) chain.filters().getLast();
      assertTimeoutPreemptively(HANG_GUARD, () -> {
        try (chain) {
          chain.update(tx, new Delta(true, List.of(0), false));
          tx.body(new Body.Raw(BlobSource.of(message)));
          chain.update(tx, new Delta(false, List.of(), true));
        }
      }, h.name());
      String as = h.name() + " through " + p.endpoint();
      JsonNode signal = tx.filterOutput().get("message_validation");
      assertThat(signal.path("validity").asText()).as(as + ": " + signal).isEqualTo(h.validity());
      if (h.error() != null) {
        assertThat(signal.path("error").asText()).as(as).contains(h.error());
      }
      assertThat(tx.mailResponse().code()).as(as).isEqualTo(250);
      assertThat(tx.rcptResponse(0).code()).as(as).isEqualTo(250);
      boolean rejected = p.threshold() != null && LEVELS.indexOf(h.validity()) < LEVELS.indexOf(p.threshold());
      if (rejected) {
        assertThat(tx.dataResponse()).as(as).isEqualTo(p.reject());
        assertThat(out.body).as(as + ": the body never reached the output").isNull();
      } else {
        assertThat(tx.dataResponse()).as(as).isEqualTo(new Response(250, "2.0.0 captured"));
        assertThat(out.bytes).as(as + ": passed through untouched").isEqualTo(copy);
      }
    }
    assertThat(message).isEqualTo(copy);
  }

  // ------------------------------------------------------------------ end to end, through a router

  static final String ROUTER = """
      global: {mailer_daemon_mailbox: mailer-daemon@example.com}
      rest_listener:
        addr: ["127.0.0.1", %PORT%]
        session_uri: http://127.0.0.1:%PORT%
      sender:
      - name: mx
        output_chain: inbound
      endpoint:
      - name: inbound
        chain:
        - filter: message_validation
        - filter: policy_action
          tag: message
          name: mime_defects
          match: {matcher: message_validation, validity_threshold: HIGH}
          action: REJECT
        - filter: recorder
      storage:
        url: %STORAGE%
      """;

  /** The router's output: answers 250 and keeps every body it gets. */
  static final class Recorder implements FilterFactory {
    final List<byte[]> bodies = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recorder";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      return () -> (FilterTx tx, Delta d, Filter.Next next) -> {
        tx.fillUnanswered(new Delta(d.mailFrom(), d.rcpts(), false), new Response(250, "ok"));
        if (d.body()) {
          try {
            bodies.add(((Body.Raw) tx.body()).blob().readAll());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          tx.dataResponse(new Response(250, "2.0.0 recorded"));
        }
      };
    }
  }

  @TempDir Path dir;
  RouterHarness router;

  @AfterEach
  void stop() {
    if (router != null) {
      router.close();
    }
  }

  JsonNode send(byte[] message) {
    HttpTestClient http = router.http;
    HttpTestClient.Resp created = http.post("/senders/mx/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"bob@example.org\"}]}");
    assertThat(created.status()).isEqualTo(201);
    String id = created.id();
    // as over SMTP: the recipient is answered before the body comes
    JsonNode rcpt = http.pollUntil(id, j -> j.has("rcpt_response") && j.get("rcpt_response").size() == 1
        && !j.get("rcpt_response").get(0).isNull(), Duration.ofSeconds(30));
    assertThat(rcpt.at("/mail_response/code").asInt()).as(rcpt.toString()).isEqualTo(250);
    assertThat(rcpt.at("/rcpt_response/0/code").asInt()).as(rcpt.toString()).isEqualTo(250);
    assertThat(http.send("PUT", "/transactions/" + id + "/body", message).status()).isEqualTo(200);
    return http.pollFinal(id, Duration.ofSeconds(30));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void routerAnswersHostileMessagesWithA5xxAndKeepsServing(Database.Dialect dialect) {
    Recorder recorder = new Recorder();
    router = new RouterHarness(dialect, dir, ROUTER, new MutableClock(Instant.parse("2026-01-01T00:00:00Z")),
        recorder);
    byte[] good = (HEAD + "Content-Type: text/plain\r\n\r\nall is well\r\n").getBytes(StandardCharsets.US_ASCII);
    List<Hostile> all = cases();
    for (String name : List.of("unterminated multipart: the closing boundary never comes", "1,000 nested multiparts",
        "a single 10 MB header field on one line", "no header/body separator: the body follows the header",
        "NUL bytes in the header")) {
      Hostile h = all.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
      JsonNode j = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> send(h.bytes().get()), name);
      assertThat(j.at("/data_response/code").asInt()).as(name + ": " + j).isEqualTo(550);
      assertThat(j.at("/data_response/message").asText()).as(name).isEqualTo("5.6.0 message rejected mime_defects");
      assertThat(j.at("/rcpt_response/0/code").asInt()).as(name).isEqualTo(250);
    }
    assertThat(recorder.bodies).as("no hostile body reached the output").isEmpty();
    JsonNode ok = send(good);
    assertThat(ok.at("/data_response/code").asInt()).as(ok.toString()).isEqualTo(250);
    assertThat(recorder.bodies).hasSize(1);
    assertThat(recorder.bodies.get(0)).isEqualTo(good);
  }

  // ------------------------------------------------------------------ helpers

  static final Delta ALL = new Delta(true, List.of(0), true);

  static FilterTx tx(byte[] message) {
    FilterTx tx = new FilterTx("hostile", "s", null);
    tx.mailFrom(Mailbox.of("alice@example.com"));
    tx.addRcpt(Mailbox.of("bob@example.org"));
    tx.body(new Body.Raw(BlobSource.of(message)));
    return tx;
  }

  /** Remembers the body it sees and passes everything on. */
  static final class Spy implements Filter {
    Body body;

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      if (delta.body()) {
        body = tx.body();
      }
      next.update(tx, delta);
    }
  }

  /** The output: answers 250 and keeps the raw bytes it gets (read while the attempt is on). */
  static final class Capture implements Filter {
    Body body;
    byte[] bytes;

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      tx.fillUnanswered(new Delta(delta.mailFrom(), delta.rcpts(), false), new Response(250, "ok"));
      if (delta.body()) {
        body = tx.body();
        if (body instanceof Body.Raw raw) {
          try (InputStream in = raw.blob().open()) {
            bytes = in.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        tx.dataResponse(new Response(250, "2.0.0 captured"));
      }
    }
  }
}
