package net.koukan.mime;

import static net.koukan.mime.MimeTesting.json;
import static net.koukan.mime.MimeTesting.message;
import static net.koukan.mime.MimeTesting.read;
import static net.koukan.mime.MimeTesting.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.koukan.filter.BlobSource;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MessageParserTest {

  static MessageParser.Result parse(String corpusName) {
    MessageParser.Result r = new MessageParser().parse(message(corpusName + ".eml"));
    return new MessageParser.Result(MimeTesting.normalized(r.json()), r.blobs());
  }

  static JsonNode headerValue(JsonNode node, String name) {
    for (JsonNode h : node.get("headers")) {
      if (h.get(0).asText().equals(name)) {
        return h.get(1);
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ golden JSON

  @ParameterizedTest
  @ValueSource(strings = {"simple", "alternative", "mixed-attachment", "related-inline-image",
      "nested-rfc822", "dsn-report", "malformed-boundaries", "missing-separator", "8bit-headers"})
  void corpusMatchesExpectedJson(String name) {
    JsonNode expected = json(utf8(MimeTesting.resource("parser/" + name + ".json")));
    assertThat(parse(name).json()).isEqualTo(expected);
  }

  @Test
  void simple() {
    MessageParser.Result r = parse("simple");
    JsonNode root = r.json().get("parts");
    assertThat(root.get("content_type").asText()).isEqualTo("text/plain");
    assertThat(headerValue(root, "subject").asText()).isEqualTo("Hello – plain ASCII tail");
    assertThat(headerValue(root, "from")).isEqualTo(json(
        "[{\"display_name\": \"Alice A.\", \"address\": \"alice@example.com\"}]"));
    assertThat(headerValue(root, "cc").get(0).get("display_name").asText()).isEqualTo("Jörg");
    assertThat(headerValue(root, "date")).isEqualTo(json("{\"unix_secs\": 1709750551, \"tz_offset\": -28800}"));
    assertThat(headerValue(root, "message-id").asText()).isEqualTo("abc.123@example.com");
    assertThat(headerValue(root, "content-type")).isEqualTo(json("[\"text/plain\", {\"charset\": \"utf-8\"}]"));
    assertThat(headerValue(root, "received").asText())
        .startsWith("from mail.example.com (mail.example.com [192.0.2.1])\tby mx.example.org");
    assertThat(root.at("/content/inline").asText()).isEqualTo("Hello Bob,\r\n\r\ncafé and a long line"
        + " that is soft-wrapped by quoted-printable at some point.\r\n");
    assertThat(r.json().get("text_body")).hasSize(1);
    assertThat(r.json().has("file_attachments")).isFalse();
    assertThat(r.blobs()).isEmpty();
  }

  @Test
  void alternativeDecodesEachCharset() {
    MessageParser.Result r = parse("alternative");
    assertThat(r.json().at("/parts/parts/1/content/inline").asText()).isEqualTo("<p>Grüße</p>");
    assertThat(r.json().get("text_body")).extracting(n -> n.get("content_type").asText())
        .containsExactly("text/plain", "text/html");
  }

  @Test
  void mixedAttachmentBlobsAndFilenames() {
    MessageParser.Result r = parse("mixed-attachment");
    JsonNode files = r.json().get("file_attachments");
    assertThat(files.get(0).get("filename").asText()).isEqualTo("résumé.pdf");
    assertThat(files.get(0).get("content")).isEqualTo(json("{\"create_id\": \"0\"}"));
    assertThat(files.get(1).get("filename").asText()).isEqualTo("data.csv"); // Content-Type name=
    BlobSource pdf = r.blobs().get("0");
    byte[] bytes = read(pdf);
    assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).startsWith("%PDF-1.4\n").endsWith("%%EOF\n");
    assertThat(pdf.length()).isEqualTo(bytes.length);
    assertThat(r.blobs()).containsOnlyKeys("0");
  }

  @Test
  void relatedInlineImage() {
    MessageParser.Result r = parse("related-inline-image");
    JsonNode related = r.json().get("related_attachments");
    assertThat(related).hasSize(1);
    assertThat(related.get(0).get("content_id").asText()).isEqualTo("logo@example.com");
    assertThat(related.get(0).get("content_type").asText()).isEqualTo("image/png");
    byte[] png = read(r.blobs().get("0"));
    assertThat(png).startsWith(0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n');
    assertThat(png).hasSize(70);
    assertThat(r.json().get("text_body")).extracting(n -> n.get("content_type").asText())
        .containsExactly("text/plain", "text/html");
  }

  @Test
  void nestedMessage() {
    JsonNode root = parse("nested-rfc822").json().get("parts");
    JsonNode attached = root.at("/parts/1");
    assertThat(attached.get("content_type").asText()).isEqualTo("message/rfc822");
    assertThat(attached.has("content")).isFalse();
    JsonNode inner = attached.at("/parts/0");
    assertThat(headerValue(inner, "subject").asText()).isEqualTo("the original");
    assertThat(inner.get("content_type").asText()).isEqualTo("multipart/alternative");
    assertThat(inner.at("/parts/1/content/inline").asText()).isEqualTo("<p>original text</p>");
  }

  @Test
  void deliveryStatusNotification() {
    MessageParser.Result r = parse("dsn-report");
    JsonNode root = r.json().get("parts");
    assertThat(headerValue(root, "content-type"))
        .isEqualTo(json("[\"multipart/report\", {\"report-type\": \"delivery-status\", \"boundary\": \"dsn-b\"}]"));
    JsonNode status = root.at("/parts/1");
    assertThat(status.get("content_type").asText()).isEqualTo("message/delivery-status");
    assertThat(status.at("/parts/0/headers")).contains(json("[\"reporting-mta\", \"dns; mx.example.org\"]"));
    assertThat(status.at("/parts/1/headers")).contains(json("[\"final-recipient\", \"rfc822; xyz@example.net\"]"),
        json("[\"status\", \"5.1.1\"]"));
    JsonNode original = root.at("/parts/2");
    assertThat(original.get("content_type").asText()).isEqualTo("text/rfc822-headers");
    assertThat(headerValue(original.at("/parts/0"), "message-id").asText()).isEqualTo("lost@example.com");
    assertThat(r.json().get("text_body").get(0).at("/content/inline").asText()).startsWith("Your message");
  }

  @Test
  void malformedBoundariesLoseNothing() {
    MessageParser.Result r = parse("malformed-boundaries");
    JsonNode root = r.json().get("parts");
    assertThat(root.get("defects")).contains(json("\"mbox From_ line ignored\""),
        json("\"missing closing boundary\""));
    JsonNode parts = root.get("parts");
    assertThat(parts).hasSize(6);
    assertThat(parts.get(0).at("/content/inline").asText())
        .isEqualTo("first part (delimiter line had trailing spaces)");
    assertThat(parts.get(1).at("/content/inline").asText())
        .isEqualTo("no header and no blank line\r\nsecond line of the headerless part");
    assertThat(parts.get(2).get("defects")).contains(json("\"missing closing boundary\""));
    assertThat(parts.get(2).at("/parts/0/content/inline").asText())
        .isEqualTo("inner part whose multipart never closes");
    assertThat(utf8(read(r.blobs().get("0")))).isEqualTo("no boundary parameter: kept as one part");
    assertThat(utf8(read(r.blobs().get("1")))).isEqualTo("hello world"); // junk skipped, no padding
    assertThat(parts.get(5).at("/content/inline").asText())
        .isEqualTo("last part; the closing delimiter is missing\r\n");
  }

  @Test
  void missingSeparatorStartsTheBody() {
    JsonNode root = parse("missing-separator").json().get("parts");
    assertThat(root.get("headers")).hasSize(3);
    assertThat(root.at("/content/inline").asText()).isEqualTo("This line should have been preceded by"
        + " a blank line.\r\nNote: this looks like a header but is body text.\r\n\r\nend\r\n");
    assertThat(root.get("defects")).contains(json("\"missing blank line between header and body\""));
  }

  @Test
  void eightBitHeaders() {
    JsonNode root = parse("8bit-headers").json().get("parts");
    assertThat(headerValue(root, "subject").asText()).isEqualTo("Grüße aus Köln");
    assertThat(headerValue(root, "to")).isEqualTo(json("[{\"display_name\": \"Jörg\", \"address\": \"jörg@example.de\"}]"));
    assertThat(headerValue(root, "from").get(0).get("display_name").asText()).isEqualTo("René");
    assertThat(headerValue(root, "x-latin").asText()).isEqualTo("café crème");
    assertThat(headerValue(root, "date")).isEqualTo(json("{\"unix_secs\": 1710305940, \"tz_offset\": -18000}"));
    assertThat(root.at("/content/inline").asText()).isEqualTo("café crème brûlée\r\n");
  }

  // ------------------------------------------------------------------ inline threshold, blobs

  @Test
  void maxInlineZeroMakesEveryTextLeafABlobOfUtf8() {
    MessageParser.Result r = new MessageParser(0).parse(message("alternative.eml"));
    assertThat(r.json().at("/parts/parts/0/content")).isEqualTo(json("{\"create_id\": \"0\"}"));
    assertThat(r.json().at("/parts/parts/1/content")).isEqualTo(json("{\"create_id\": \"1\"}"));
    assertThat(utf8(read(r.blobs().get("0")))).isEqualTo("Plain version.");
    BlobSource html = r.blobs().get("1");
    assertThat(read(html)).isEqualTo(utf8("<p>Grüße</p>")); // ISO-8859-1 converted
    assertThat(html.length()).isEqualTo(utf8("<p>Grüße</p>").length);
    assertThat(r.json().get("text_body").get(1).get("content")).isEqualTo(json("{\"create_id\": \"1\"}"));
  }

  @Test
  void inlineWhileTheCumulativeSizeStaysBelowTheLimit() {
    int first = utf8("Plain version.").length; // 14
    int second = utf8("<p>Grüße</p>").length; // 14
    MessageParser.Result both = new MessageParser(first + second + 1).parse(message("alternative.eml"));
    assertThat(both.blobs()).isEmpty();
    MessageParser.Result one = new MessageParser(first + second).parse(message("alternative.eml"));
    assertThat(one.json().at("/parts/parts/0/content/inline").asText()).isEqualTo("Plain version.");
    assertThat(one.json().at("/parts/parts/1/content")).isEqualTo(json("{\"create_id\": \"0\"}"));
    MessageParser.Result none = new MessageParser(first).parse(message("alternative.eml"));
    assertThat(none.blobs()).hasSize(2);
  }

  @Test
  void bareLfMessagesParseToo() {
    byte[] lf = "Subject: lf\nContent-Type: multipart/mixed; boundary=x\n\n--x\n\nbody\n--x--\n"
        .getBytes(StandardCharsets.US_ASCII);
    JsonNode root = new MessageParser().parse(lf).json().get("parts");
    assertThat(root.at("/parts/0/content/inline").asText()).isEqualTo("body");
    assertThat(root.has("defects")).isFalse();
  }

  @Test
  void depthIsLimited() {
    StringBuilder m = new StringBuilder("Subject: deep\r\n");
    for (int i = 0; i < 13; i++) {
      m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
    }
    m.append("Content-Type: text/plain\r\n\r\ninnermost\r\n");
    for (int i = 12; i >= 0; i--) {
      m.append("--b").append(i).append("--\r\n");
    }
    MessageParser.Result r = new MessageParser().parse(m.toString().getBytes(StandardCharsets.US_ASCII));
    JsonNode n = r.json().get("parts");
    int depth = 0;
    while (n.has("parts")) {
      n = n.get("parts").get(0);
      depth++;
    }
    assertThat(depth).isEqualTo(MessageParser.MAX_DEPTH);
    assertThat(n.get("content_type").asText()).isEqualTo("multipart/mixed");
    assertThat(n.get("defects").get(0).asText()).contains("nested deeper than 10");
    assertThat(utf8(read(r.blobs().get(n.at("/content/create_id").asText()))))
        .startsWith("--b10\r\n").contains("innermost").endsWith("--b10--");
  }

  @Test
  void partsAreLimited() {
    StringBuilder m = new StringBuilder("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for (int i = 0; i < MessageParser.MAX_PARTS + 50; i++) {
      m.append("--b\r\n\r\n").append(i).append("\r\n");
    }
    m.append("--b--\r\n");
    JsonNode root = new MessageParser().parse(m.toString().getBytes(StandardCharsets.US_ASCII)).json().get("parts");
    assertThat(root.get("parts").size()).isLessThan(MessageParser.MAX_PARTS);
    assertThat(root.get("defects").get(0).asText()).contains("the rest is not parsed");
  }

  @Test
  void degenerateInputs() {
    assertThat(new MessageParser().parse(new byte[0]).json().get("parts").get("content_type").asText())
        .isEqualTo("text/plain");
    JsonNode headersOnly = new MessageParser().parse("Subject: x".getBytes(StandardCharsets.US_ASCII)).json();
    assertThat(headersOnly.at("/parts/headers/0/1").asText()).isEqualTo("x");
    JsonNode bad = new MessageParser().parse(("From: not an address at all\r\nDate: yesterday\r\n"
        + "Content-Type: text\r\n\r\nx").getBytes(StandardCharsets.US_ASCII)).json().get("parts");
    assertThat(bad.get("content_type").asText()).isEqualTo("text/plain");
    assertThat(headerValue(bad, "date").asText()).isEqualTo("yesterday");
    assertThat(bad.get("defects").toString()).contains("invalid date").contains("invalid Content-Type");
  }

  @Test
  void defectsAreCapped() {
    String m = " stray continuation\r\n".repeat(50) + "Subject: x\r\n\r\nbody";
    JsonNode d = new MessageParser().parse(m.getBytes(StandardCharsets.US_ASCII)).json().at("/parts/defects");
    assertThat(d).hasSize(MessageParser.MAX_DEFECTS + 1);
    assertThat(d.get(MessageParser.MAX_DEFECTS).asText()).isEqualTo("(30 more)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"mixed-attachment", "malformed-boundaries", "nested-rfc822", "dsn-report",
      "related-inline-image"})
  void neverThrowsAndBlobLengthsAreExactOnEveryTruncation(String name) {
    byte[] full = message(name + ".eml");
    for (int cut = 0; cut <= full.length; cut += 7) {
      byte[] m = java.util.Arrays.copyOf(full, cut);
      assertThatCode(() -> check(new MessageParser(20).parse(m))).as("cut at %d", cut)
          .doesNotThrowAnyException();
    }
  }

  @Test
  void neverThrowsOnRandomMutations() {
    Random rnd = new Random(7);
    byte[] alphabet = "-\r\n:;=\" bB0x".getBytes(StandardCharsets.US_ASCII);
    for (String name : List.of("mixed-attachment", "related-inline-image", "nested-rfc822")) {
      byte[] full = message(name + ".eml");
      for (int i = 0; i < 300; i++) {
        byte[] m = full.clone();
        for (int k = 0; k < 5; k++) {
          m[rnd.nextInt(m.length)] = alphabet[rnd.nextInt(alphabet.length)];
        }
        assertThatCode(() -> check(new MessageParser(30).parse(m))).doesNotThrowAnyException();
      }
    }
  }

  private static void check(MessageParser.Result r) {
    for (Map.Entry<String, BlobSource> e : r.blobs().entrySet()) {
      assertThat(read(e.getValue())).as("blob %s", e.getKey()).hasSize((int) e.getValue().length());
    }
  }

  // ------------------------------------------------------------------ mime4j as oracle

  /** Leaves in document order as mime4j sees them: content type and decoded bytes. */
  record Leaf(String type, String charset, byte[] bytes) {}

  static List<Leaf> mime4jLeaves(byte[] message) throws Exception {
    MimeTokenStream s = new MimeTokenStream(MimeConfig.custom().setMaxLineLen(-1).build());
    s.parse(new ByteArrayInputStream(message));
    List<Leaf> out = new ArrayList<>();
    for (EntityState st = s.getState(); st != EntityState.T_END_OF_STREAM; st = s.next()) {
      if (st == EntityState.T_BODY) {
        BodyDescriptor d = s.getBodyDescriptor();
        out.add(new Leaf(d.getMimeType(), d.getCharset(), s.getDecodedInputStream().readAllBytes()));
      }
    }
    return out;
  }

  static void ourLeaves(JsonNode n, MessageParser.Result r, List<JsonNode> out) {
    if (n.has("content") || n.has("parts") && !n.path("content_type").asText().startsWith("multipart/")
        && !n.path("content_type").asText().equals("message/rfc822")) {
      out.add(n);
      return;
    }
    for (JsonNode p : n.path("parts")) {
      ourLeaves(p, r, out);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"simple", "alternative", "mixed-attachment", "related-inline-image",
      "nested-rfc822", "dsn-report", "8bit-headers"})
  void leavesAgreeWithMime4j(String name) throws Exception {
    byte[] m = message(name + ".eml");
    List<Leaf> expected = mime4jLeaves(m);
    MessageParser.Result r = new MessageParser(100).parse(m);
    List<JsonNode> ours = new ArrayList<>();
    ourLeaves(r.json().get("parts"), r, ours);
    assertThat(ours).hasSameSizeAs(expected);
    for (int i = 0; i < ours.size(); i++) {
      JsonNode n = ours.get(i);
      Leaf e = expected.get(i);
      assertThat(n.get("content_type").asText()).isEqualTo(e.type());
      if (!n.has("content")) {
        continue; // a parsed header block
      }
      Charset cs = e.charset() == null || e.charset().equalsIgnoreCase("us-ascii")
          ? StandardCharsets.UTF_8 : Charset.forName(e.charset());
      JsonNode c = n.get("content");
      if (c.has("inline")) {
        assertThat(c.get("inline").asText()).isEqualTo(new String(e.bytes(), cs));
      } else if (e.type().startsWith("text/")) {
        assertThat(utf8(read(r.blobs().get(c.get("create_id").asText())))).isEqualTo(new String(e.bytes(), cs));
      } else {
        assertThat(read(r.blobs().get(c.get("create_id").asText()))).isEqualTo(e.bytes());
      }
    }
  }

  @Test
  void base64PaddingAndJunk() {
    String b64 = Base64.getEncoder().encodeToString(utf8("hello world!!")); // padded
    String m = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64.substring(0, 8) + "\r\n" + b64.substring(8) + "\r\n";
    MessageParser.Result r = new MessageParser().parse(m.getBytes(StandardCharsets.US_ASCII));
    assertThat(utf8(read(r.blobs().get("0")))).isEqualTo("hello world!!");
    assertThat(r.json().get("parts").has("defects")).isFalse();
  }
}
