package net.koukan.mime;

import static net.koukan.mime.MimeTesting.builder;
import static net.koukan.mime.MimeTesting.content;
import static net.koukan.mime.MimeTesting.head;
import static net.koukan.mime.MimeTesting.json;
import static net.koukan.mime.MimeTesting.mime4j;
import static net.koukan.mime.MimeTesting.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.koukan.filter.BlobSource;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MessageBuilderTest {

  /** The reference's example spec in stored form: every content a create_id. */
  static final String FULL = """
      {"headers": [
         ["from", [{"display_name": "alice a", "address": "alice@example.com"}]],
         ["to", [{"address": "bob@example.com"}]],
         ["subject", "hello"],
         ["date", {"unix_secs": 1709750551, "tz_offset": -28800}],
         ["message-id", ["abc@xyz"]],
         ["in-reply-to", ["abd@xyz"]],
         ["references", ["abd@xyz", "abe@xyz"]]],
       "text_body": [
         {"content_type": "text/html", "content": {"create_id": "inline0"}},
         {"content_type": "text/plain", "content": {"create_id": "inline1"}}],
       "related_attachments": [
         {"content_type": "image/png", "content_id": "xyz123", "content": {"create_id": "inline2"}}],
       "file_attachments": [
         {"content_type": "image/png", "filename": "hipstercat.png", "content": {"create_id": "inline3"}}]}
      """;

  static final Map<String, BlobSource> FULL_BLOBS = Map.of(
      "inline0", BlobSource.of(utf8("<b>hello</b>")),
      "inline1", BlobSource.of(utf8("hello")),
      "inline2", BlobSource.of(utf8("related image contents")),
      "inline3", BlobSource.of(utf8("attachment contents")));

  static byte[] render(String spec) throws InvalidSpecException {
    return builder().render(json(spec), Map.of());
  }

  static byte[] render(String spec, Map<String, BlobSource> blobs) throws InvalidSpecException {
    return builder().render(json(spec), blobs);
  }

  /** A spec with the given headers and one short text part. */
  static String withHeaders(String headers) {
    return "{\"headers\": [" + headers + "], \"text_body\": [{\"content_type\": \"text/plain\","
        + " \"content\": {\"inline\": \"hi\"}}]}";
  }

  static void assertWellFormed(byte[] message) {
    String s = new String(message, StandardCharsets.ISO_8859_1);
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\n') {
        assertThat(i).as("LF at %d without CR", i).isPositive();
        assertThat(s.charAt(i - 1)).as("bare LF at %d", i).isEqualTo('\r');
      } else if (s.charAt(i) == '\r') {
        assertThat(i + 1 < s.length() && s.charAt(i + 1) == '\n').as("bare CR at %d", i).isTrue();
      }
    }
    assertThat(s).endsWith("\r\n");
    for (String line : s.split("\r\n")) {
      assertThat(line.getBytes(StandardCharsets.ISO_8859_1).length).isLessThanOrEqualTo(998);
    }
  }

  // ------------------------------------------------------------------ golden output

  @Test
  void fullSpecMatchesGoldenOutput() throws Exception {
    byte[] out = builder().render(json(FULL), FULL_BLOBS);
    // stored with LF line ends (safe from any git line-end conversion); the output has CRLF
    String golden = utf8(MimeTesting.resource("builder/full.eml")).replace("\n", "\r\n");
    assertThat(utf8(out)).isEqualTo(golden);
    assertWellFormed(out);
  }

  @Test
  void fullSpecParsesBackWithMime4j() throws Exception {
    Message m = mime4j(builder().render(json(FULL), FULL_BLOBS));
    assertThat(m.getMimeType()).isEqualTo("multipart/mixed");
    assertThat(m.getSubject()).isEqualTo("hello");
    assertThat(m.getMessageId()).isEqualTo("<abc@xyz>");
    assertThat(m.getDate().toInstant()).isEqualTo(Instant.ofEpochSecond(1709750551));
    assertThat(m.getFrom().get(0).getName()).isEqualTo("alice a");
    assertThat(m.getFrom().get(0).getAddress()).isEqualTo("alice@example.com");
    assertThat(m.getTo().flatten().get(0).getAddress()).isEqualTo("bob@example.com");
    assertThat(m.getHeader().getField("In-Reply-To").getBody()).isEqualTo("<abd@xyz>");
    assertThat(m.getHeader().getField("References").getBody()).isEqualTo("<abd@xyz> <abe@xyz>");

    List<Entity> mixed = ((Multipart) m.getBody()).getBodyParts();
    assertThat(mixed).extracting(Entity::getMimeType)
        .containsExactly("multipart/alternative", "image/png");
    List<Entity> alternative = ((Multipart) mixed.get(0).getBody()).getBodyParts();
    assertThat(alternative).extracting(Entity::getMimeType)
        .containsExactly("multipart/related", "text/plain");
    List<Entity> related = ((Multipart) alternative.get(0).getBody()).getBodyParts();
    assertThat(related).extracting(Entity::getMimeType).containsExactly("text/html", "image/png");

    assertThat(utf8(content(related.get(0)))).isEqualTo("<b>hello</b>");
    assertThat(related.get(0).getCharset()).isEqualTo("utf-8");
    assertThat(utf8(content(related.get(1)))).isEqualTo("related image contents");
    assertThat(related.get(1).getDispositionType()).isEqualTo("inline");
    assertThat(related.get(1).getHeader().getField("Content-ID").getBody()).isEqualTo("<xyz123>");
    assertThat(related.get(1).getContentTransferEncoding()).isEqualTo("base64");
    assertThat(utf8(content(alternative.get(1)))).isEqualTo("hello");
    assertThat(utf8(content(mixed.get(1)))).isEqualTo("attachment contents");
    assertThat(mixed.get(1).getDispositionType()).isEqualTo("attachment");
    assertThat(mixed.get(1).getFilename()).isEqualTo("hipstercat.png");
    assertThat(mixed.get(1).getContentTransferEncoding()).isEqualTo("base64");
  }

  // ------------------------------------------------------------------ headers

  @Test
  void addressHeadersQuoteEncodeAndFold() throws Exception {
    byte[] out = render(withHeaders("""
        ["from", [{"display_name": "Smith, John (Jr.)", "address": "john@example.com"}]],
        ["to", [{"display_name": "Jörg Müller", "address": "joerg@example.de"},
                {"address": "plain@example.org"},
                {"display_name": "Bob", "address": "bob@bücher.example"}]],
        ["cc", [{"display_name": "He said \\"hi\\"", "address": "john doe@example.com"}]],
        ["bcc", []],
        ["reply-to", [{"display_name": "Replies", "address": "replies@example.com"}]]"""));
    String head = head(out);
    assertThat(head).contains("from: \"Smith, John (Jr.)\" <john@example.com>\r\n");
    assertThat(head).contains("to: =?utf-8?b?SsO2cmcgTcO8bGxlcg==?= <joerg@example.de>,"
        + " plain@example.org,\r\n Bob <bob@xn--bcher-kva.example>\r\n");
    assertThat(head).contains("cc: \"He said \\\"hi\\\"\" <\"john doe\"@example.com>\r\n");
    assertThat(head).doesNotContain("bcc:");
    assertThat(head).contains("reply-to: Replies <replies@example.com>\r\n");

    Message m = mime4j(out);
    assertThat(m.getFrom().get(0).getName()).isEqualTo("Smith, John (Jr.)");
    List<Mailbox> to = m.getTo().flatten();
    assertThat(to).extracting(Mailbox::getName).containsExactly("Jörg Müller", null, "Bob");
    assertThat(to).extracting(Mailbox::getAddress)
        .containsExactly("joerg@example.de", "plain@example.org", "bob@xn--bcher-kva.example");
    assertThat(m.getCc().flatten().get(0).getName()).isEqualTo("He said \"hi\"");
    assertThat(m.getCc().flatten().get(0).getLocalPart()).isEqualTo("john doe");
  }

  @Test
  void longNonAsciiDisplayNamesBecomeSeveralEncodedWords() throws Exception {
    String name = "Ünïcödé ".repeat(12).strip();
    byte[] out = render(withHeaders("[\"to\", [{\"display_name\": \"" + name
        + "\", \"address\": \"u@example.com\"}]]"));
    String head = head(out);
    for (String word : head.split("[\\s<>,]+")) {
      if (word.startsWith("=?")) {
        assertThat(word.length()).isLessThanOrEqualTo(75);
      }
    }
    for (String line : head.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
    assertThat(mime4j(out).getTo().flatten().get(0).getName()).isEqualTo(name);
  }

  @Test
  void nonAsciiLocalPartStaysUtf8() throws Exception {
    byte[] out = render(withHeaders("[\"to\", [{\"address\": \"jörg@example.de\"}]]"));
    assertThat(head(out)).contains("to: jörg@example.de\r\n");
  }

  @ParameterizedTest
  @CsvSource({
      "1709750551, -28800, 'Wed, 06 Mar 2024 10:42:31 -0800'",
      "1709750551, 0, 'Wed, 06 Mar 2024 18:42:31 +0000'",
      "1709750551, 19800, 'Thu, 07 Mar 2024 00:12:31 +0530'",
      "0, 3600, 'Thu, 01 Jan 1970 01:00:00 +0100'"})
  void dateHeader(long secs, int offset, String expected) throws Exception {
    byte[] out = render(withHeaders("[\"date\", {\"unix_secs\": " + secs + ", \"tz_offset\": " + offset + "}]"));
    assertThat(head(out)).contains("date: " + expected + "\r\n");
    assertThat(mime4j(out).getDate().toInstant()).isEqualTo(Instant.ofEpochSecond(secs));
  }

  @Test
  void dateWithoutOffsetIsUtc() throws Exception {
    byte[] out = render(withHeaders("[\"date\", {\"unix_secs\": 1709750551}]"));
    assertThat(head(out)).contains("date: Wed, 06 Mar 2024 18:42:31 +0000\r\n");
  }

  @Test
  void messageIdHeaders() throws Exception {
    byte[] out = render(withHeaders("""
        ["Message-ID", ["one@example.com"]],
        ["In-Reply-To", ["<two@example.com>"]],
        ["References", ["r1@example.com", "r2@example.com", "r3@example.com", "r4@example.com",
                        "r5@example.com"]]"""));
    String head = head(out);
    assertThat(head).contains("Message-ID: <one@example.com>\r\n");
    assertThat(head).contains("In-Reply-To: <two@example.com>\r\n");
    assertThat(head).contains("References: <r1@example.com> <r2@example.com> <r3@example.com>\r\n"
        + " <r4@example.com> <r5@example.com>\r\n");
    assertThat(mime4j(out).getMessageId()).isEqualTo("<one@example.com>");
  }

  @Test
  void unstructuredHeadersAreVerbatimAsciiAndEncodedNonAscii() throws Exception {
    byte[] out = render(withHeaders("""
        ["subject", "Grüße aus München, and a rather long ASCII tail that has to be folded somewhere"],
        ["X-Custom", "  keep   spacing\\tand tabs"],
        ["X-Looks-Encoded", "=?utf-8?q?not_really?="]"""));
    String head = head(out);
    assertThat(head).contains("X-Custom:   keep   spacing\tand tabs\r\n");
    assertThat(head).doesNotContain("=?utf-8?q?not_really?=\r\n");
    for (String line : head.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
    Message m = mime4j(out);
    assertThat(m.getSubject())
        .isEqualTo("Grüße aus München, and a rather long ASCII tail that has to be folded somewhere");
    assertThat(HeaderValues.decodeWords(m.getHeader().getField("X-Looks-Encoded").getBody()))
        .isEqualTo("=?utf-8?q?not_really?=");
    // unfolding gives back the value exactly
    String subject = head.substring(head.indexOf("subject: "), head.indexOf("\r\nX-Custom"));
    assertThat(subject.replace("\r\n", "")).startsWith("subject: =?utf-8?");
  }

  @Test
  void foldingKeepsWhitespaceSoUnfoldingRestoresTheValue() throws InvalidSpecException {
    String value = "word ".repeat(40) + "end";
    String folded = HeaderText.fold("X-Long", value);
    for (String line : folded.split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(78);
    }
    assertThat(folded.replace("\r\n", "")).isEqualTo("X-Long: " + value);
    assertThat(folded).endsWith("end\r\n");
  }

  @Test
  void unfoldableLongWordIsAnErrorOnlyBeyond998() throws Exception {
    String word = "x".repeat(500);
    assertThat(head(render(withHeaders("[\"X-Word\", \"" + word + "\"]")))).contains(word);
    assertThatThrownBy(() -> render(withHeaders("[\"X-Word\", \"" + "y".repeat(1000) + "\"]")))
        .isInstanceOf(InvalidSpecException.class).hasMessageContaining("998");
  }

  @Test
  void pairsNotOfLengthTwoAreSkipped() throws Exception {
    byte[] out = render(withHeaders("[\"x-one\"], [\"x-three\", \"a\", \"b\"], [\"x-ok\", \"yes\"]"));
    assertThat(head(out)).contains("x-ok: yes\r\n").doesNotContain("x-one").doesNotContain("x-three");
  }

  @Test
  void dateAndMessageIdAreAddedWhenMissing() throws Exception {
    byte[] out = render(withHeaders("[\"from\", [{\"address\": \"a@Example.COM\"}]]"));
    String head = head(out);
    assertThat(head).contains("Date: Wed, 06 Mar 2024 18:00:00 +0000\r\n");
    assertThat(head).containsPattern("Message-ID: <[a-z0-9]{26}@example\\.com>\r\n");
    assertThat(head).contains("MIME-Version: 1.0\r\n");

    String noFrom = head(render(withHeaders("[\"subject\", \"x\"]")));
    assertThat(noFrom).containsPattern("Message-ID: <[a-z0-9]{26}@mx\\.example\\.net>\r\n");
  }

  @Test
  void givenDateAndMessageIdAreNotDuplicated() throws Exception {
    String head = head(render(withHeaders(
        "[\"date\", {\"unix_secs\": 1}], [\"message-id\", [\"m@example.com\"]]")));
    assertThat(head.toLowerCase()).containsOnlyOnce("date:").containsOnlyOnce("message-id:");
  }

  @Test
  void headersOnlyRendering() throws Exception {
    byte[] h = builder().renderHeaders(json(FULL));
    assertThat(utf8(h)).isEqualTo("""
        from: alice a <alice@example.com>\r
        to: bob@example.com\r
        subject: hello\r
        date: Wed, 06 Mar 2024 10:42:31 -0800\r
        message-id: <abc@xyz>\r
        in-reply-to: <abd@xyz>\r
        references: <abd@xyz> <abe@xyz>\r
        """);
    // nothing is invented for a spec without Date or Message-ID, and parts are not looked at
    assertThat(utf8(builder().renderHeaders(json(
        "{\"headers\": [[\"subject\", \"Grüße\"]], \"text_body\": [{\"content_type\": \"text/plain\","
            + " \"content\": {\"create_id\": \"missing\"}}]}"))))
        .isEqualTo("subject: =?utf-8?b?R3LDvMOfZQ==?=\r\n");
    assertThatThrownBy(() -> builder().renderHeaders(json("{\"headers\": [[\"subject\", \"a\\nb\"]]}")))
        .isInstanceOf(InvalidSpecException.class);
  }

  // ------------------------------------------------------------------ structure

  private static String part(String type, String content) {
    return "{\"content_type\": \"" + type + "\", \"content\": {\"inline\": \"" + content + "\"}}";
  }

  @Test
  void singleTextPartIsTheMessageItself() throws Exception {
    byte[] out = render("{\"text_body\": [" + part("text/plain", "just text") + "]}");
    Message m = mime4j(out);
    assertThat(m.getMimeType()).isEqualTo("text/plain");
    assertThat(m.getCharset()).isEqualTo("utf-8");
    assertThat(utf8(content(m))).isEqualTo("just text");
    assertWellFormed(out);
  }

  @Test
  void twoTextPartsAreAlternatives() throws Exception {
    Message m = mime4j(render("{\"text_body\": [" + part("text/plain", "a") + ", "
        + part("text/html", "<p>b</p>") + "]}"));
    assertThat(m.getMimeType()).isEqualTo("multipart/alternative");
    List<Entity> parts = ((Multipart) m.getBody()).getBodyParts();
    assertThat(parts).extracting(Entity::getMimeType).containsExactly("text/plain", "text/html");
    assertThat(utf8(content(parts.get(1)))).isEqualTo("<p>b</p>");
  }

  @Test
  void textWithRelatedIsRelated() throws Exception {
    Message m = mime4j(render("{\"text_body\": [" + part("text/html", "<img src=cid:c1>")
        + "], \"related_attachments\": [{\"content_type\": \"image/gif\", \"content_id\": \"<c1>\","
        + " \"content\": {\"inline\": \"GIF89a\"}}]}"));
    assertThat(m.getMimeType()).isEqualTo("multipart/related");
    List<Entity> parts = ((Multipart) m.getBody()).getBodyParts();
    assertThat(parts).extracting(Entity::getMimeType).containsExactly("text/html", "image/gif");
    assertThat(parts.get(1).getHeader().getField("Content-ID").getBody()).isEqualTo("<c1>");
    assertThat(parts.get(1).getDispositionType()).isEqualTo("inline");
  }

  @Test
  void textWithAttachmentIsMixed() throws Exception {
    Message m = mime4j(render("{\"text_body\": [" + part("text/plain", "see attached")
        + "], \"file_attachments\": [{\"content_type\": \"application/pdf\", \"filename\": \"a.pdf\","
        + " \"content\": {\"inline\": \"%PDF\"}}]}"));
    assertThat(m.getMimeType()).isEqualTo("multipart/mixed");
    List<Entity> parts = ((Multipart) m.getBody()).getBodyParts();
    assertThat(parts).extracting(Entity::getMimeType).containsExactly("text/plain", "application/pdf");
    assertThat(parts.get(1).getFilename()).isEqualTo("a.pdf");
  }

  @Test
  void attachmentsWithoutText() throws Exception {
    Message one = mime4j(render("{\"file_attachments\": [{\"content_type\": \"application/zip\","
        + " \"filename\": \"a.zip\", \"content\": {\"inline\": \"PK\"}}]}"));
    assertThat(one.getMimeType()).isEqualTo("application/zip");
    assertThat(one.getFilename()).isEqualTo("a.zip");
    assertThat(utf8(content(one))).isEqualTo("PK");

    Message two = mime4j(render("{\"file_attachments\": [" + part("application/zip", "1") + ", "
        + part("application/zip", "2") + "]}"));
    assertThat(two.getMimeType()).isEqualTo("multipart/mixed");
    assertThat(((Multipart) two.getBody()).getBodyParts()).hasSize(2);
  }

  @Test
  void noPartsAtAllIsAHeaderOnlyMessage() throws Exception {
    byte[] out = render("{\"headers\": [[\"subject\", \"empty\"]]}");
    assertThat(utf8(out)).endsWith("\r\n\r\n").doesNotContain("MIME-Version");
    assertThat(mime4j(out).getSubject()).isEqualTo("empty");
  }

  // ------------------------------------------------------------------ content encoding

  @Test
  void mostlyAsciiTextIsQuotedPrintableWithCanonicalLineEnds() throws Exception {
    String text = "line one\nline two with trailing space \r\nlong " + "x".repeat(100) + "\rcafé =\n";
    byte[] out = render("{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"inline\": "
        + MimeTesting.JSON.writeValueAsString(text) + "}}]}");
    String s = utf8(out);
    assertThat(s).contains("Content-Transfer-Encoding: quoted-printable\r\n");
    assertThat(s).contains("line two with trailing space=20\r\n");
    assertThat(s).contains("caf=C3=A9 =3D\r\n");
    assertWellFormed(out);
    for (String line : s.substring(s.indexOf("\r\n\r\n") + 4).split("\r\n")) {
      assertThat(line.length()).isLessThanOrEqualTo(76);
    }
    assertThat(utf8(content(mime4j(out))))
        .isEqualTo("line one\r\nline two with trailing space \r\nlong " + "x".repeat(100) + "\r\ncafé =\r\n");
  }

  @Test
  void mostlyNonAsciiTextIsBase64() throws Exception {
    String text = "你好，世界。".repeat(30) + "\n第二行";
    byte[] out = render("{\"text_body\": [" + part("text/plain", text.replace("\n", "\\n")) + "]}");
    assertThat(utf8(out)).contains("Content-Transfer-Encoding: base64\r\n");
    assertWellFormed(out);
    assertThat(utf8(content(mime4j(out)))).isEqualTo(text.replace("\n", "\r\n"));
  }

  @Test
  void quotedPrintableWithoutFinalLineBreakEndsWithSoftBreak() throws Exception {
    byte[] out = render("{\"text_body\": [" + part("text/plain", "no newline") + "]}");
    assertThat(utf8(out)).endsWith("\r\n\r\nno newline=\r\n");
    assertThat(utf8(content(mime4j(out)))).isEqualTo("no newline");
  }

  @Test
  void attachmentsKeepTheirBytesAndTextAttachmentsGetACharsetOnlyWhenUtf8() throws Exception {
    byte[] latin1 = "caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] utf8Text = utf8("café\n");
    byte[] out = render("""
        {"text_body": [{"content_type": "text/plain", "content": {"inline": "x"}}],
         "file_attachments": [
           {"content_type": "text/plain", "filename": "latin1.txt", "content": {"create_id": "l"}},
           {"content_type": "text/csv", "filename": "utf8.csv", "content": {"create_id": "u"}}]}""",
        Map.of("l", BlobSource.of(latin1), "u", BlobSource.of(utf8Text)));
    List<Entity> parts = ((Multipart) mime4j(out).getBody()).getBodyParts();
    assertThat(parts.get(1).getHeader().getField("Content-Type").getBody()).isEqualTo("text/plain");
    assertThat(content(parts.get(1))).isEqualTo(latin1); // LF kept: attachments are byte-exact
    assertThat(parts.get(2).getHeader().getField("Content-Type").getBody())
        .isEqualTo("text/csv; charset=utf-8");
    assertThat(content(parts.get(2))).isEqualTo(utf8Text);
  }

  @Test
  void filenames() throws Exception {
    String spec = """
        {"file_attachments": [
          {"content_type": "application/pdf", "filename": "plain \\"quoted\\".pdf", "content": {"inline": "1"}},
          {"content_type": "application/pdf", "filename": "résumé.pdf", "content": {"inline": "2"}},
          {"content_type": "application/pdf", "filename": "%s", "content": {"inline": "3"}}]}"""
        .formatted("Grüße – ein sehr langer Dateiname, der über mehrere Zeilen geht.pdf");
    byte[] out = render(spec);
    String s = utf8(out);
    assertThat(s).contains("Content-Disposition: attachment; filename=\"plain \\\"quoted\\\".pdf\"\r\n");
    assertThat(s).contains("Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n");
    assertThat(s).contains("filename*0*=utf-8''Gr%C3%BC%C3%9Fe");
    assertThat(s).contains(" filename*1*=");
    assertWellFormed(out);
    List<Entity> parts = ((Multipart) mime4j(out).getBody()).getBodyParts();
    assertThat(parts).extracting(Entity::getFilename).containsExactly("plain \"quoted\".pdf",
        "résumé.pdf", "Grüße – ein sehr langer Dateiname, der über mehrere Zeilen geht.pdf");
  }

  @Test
  void largeAttachmentIsStreamedIntoASpillFile(@TempDir Path dir) throws Exception {
    MimeTesting.Generated big = new MimeTesting.Generated(5_000_000);
    SpillBuffer spill = new SpillBuffer(64 * 1024, dir);
    builder().render(json("""
        {"text_body": [{"content_type": "text/plain", "content": {"inline": "big one"}}],
         "file_attachments": [{"content_type": "application/octet-stream", "filename": "big.bin",
                               "content": {"create_id": "big"}}]}"""), Map.of("big", big), spill);
    BlobSource message = spill.finish();
    assertThat(spill.spilled()).isTrue();
    assertThat(big.opens).isEqualTo(1); // binary parts are read once, streamed
    assertThat(message.length()).isGreaterThan(5_000_000L * 4 / 3);
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      assertThat(s.count()).isEqualTo(1);
    }

    MessageParser.Result parsed = new MessageParser().parse(message);
    BlobSource blob = parsed.blobs().get("0");
    assertThat(blob.length()).isEqualTo(5_000_000L);
    assertThat(sha256(blob)).isEqualTo(sha256(big));
    spill.discard();
    try (java.util.stream.Stream<Path> s = Files.list(dir)) {
      assertThat(s.count()).isZero();
    }
  }

  private static String sha256(BlobSource b) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    try (var in = b.open()) {
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) > 0) {
        d.update(buf, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(d.digest());
  }

  @Test
  void renderWritesNothingWhenTheSpecIsInvalid() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThatThrownBy(() -> builder().render(json("{\"headers\": [[\"subject\", \"ok\"]],"
        + " \"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"bad\"}}]}"),
        Map.of("bad", BlobSource.of(new byte[] {'o', 'k', (byte) 0xff})), out))
        .isInstanceOf(InvalidSpecException.class).hasMessage("text_body[0] is not valid UTF-8");
    assertThat(out.size()).isZero();
  }

  // ------------------------------------------------------------------ invalid specs

  @ParameterizedTest
  @ValueSource(strings = {
      "[]",
      "{\"body\": 1}",
      "{\"headers\": {}}",
      "{\"headers\": [[1, \"x\"]]}",
      "{\"headers\": [[\"bad name\", \"x\"]]}",
      "{\"headers\": [[\"subject\", \"a\\r\\nBcc: evil@example.com\"]]}",
      "{\"headers\": [[\"subject\", \"nul\\u0000\"]]}",
      "{\"headers\": [[\"subject\", 5]]}",
      "{\"headers\": [[\"subject\", \"a\"], [\"Subject\", \"b\"]]}",
      "{\"headers\": [[\"content-type\", \"text/html\"]]}",
      "{\"headers\": [[\"MIME-Version\", \"1.0\"]]}",
      "{\"headers\": [[\"from\", \"alice@example.com\"]]}",
      "{\"headers\": [[\"from\", [{\"display_name\": \"x\"}]]]}",
      "{\"headers\": [[\"from\", [{\"address\": \"no-at-sign\"}]]]}",
      "{\"headers\": [[\"from\", [{\"address\": \"a@b\\nc\"}]]]}",
      "{\"headers\": [[\"to\", [{\"address\": \"a@b\", \"display_name\": \"x\\ry\"}]]]}",
      "{\"headers\": [[\"to\", [{\"address\": \"a@exa mple.com\"}]]]}",
      "{\"headers\": [[\"date\", \"yesterday\"]]}",
      "{\"headers\": [[\"date\", {\"unix_secs\": 1.5}]]}",
      "{\"headers\": [[\"date\", {\"unix_secs\": 1, \"tz_offset\": 30}]]}",
      "{\"headers\": [[\"date\", {\"unix_secs\": 1, \"tz_offset\": 90000}]]}",
      "{\"headers\": [[\"date\", {\"unix_secs\": 99999999999999}]]}",
      "{\"headers\": [[\"message-id\", [\"a@b\", \"c@d\"]]]}",
      "{\"headers\": [[\"message-id\", \"a@b\"]]}",
      "{\"headers\": [[\"references\", [\"with space@b\"]]]}",
      "{\"text_body\": {}}",
      "{\"text_body\": [{\"content\": {\"inline\": \"x\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain; charset=latin1\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"text_body\": [{\"content_type\": \"image/png\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"inline\": \"x\", \"create_id\": \"y\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"nope\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"reuse_uri\": \"/transactions/1/blob/x\"}}]}",
      "{\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"inline\": \"x\"}, \"extra\": 1}]}",
      "{\"related_attachments\": [{\"content_type\": \"image/png\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"file_attachments\": [{\"content_type\": \"multipart/mixed\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"file_attachments\": [{\"content_type\": \"message/rfc822\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"file_attachments\": [{\"content_type\": \"a/b\", \"filename\": \"a\\nb\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"file_attachments\": [{\"content_type\": \"a/b\", \"filename\": \"\", \"content\": {\"inline\": \"x\"}}]}",
      "{\"related_attachments\": [{\"content_type\": \"a/b\", \"content_id\": \"a b\", \"content\": {\"inline\": \"x\"}}],"
          + " \"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"inline\": \"x\"}}]}"})
  void invalidSpecsAreRejectedWithAReason(String spec) {
    assertThatThrownBy(() -> render(spec)).isInstanceOf(InvalidSpecException.class)
        .satisfies(e -> assertThat(e.getMessage()).isNotBlank().doesNotContain("\n").doesNotContain("\r"));
  }

  @Test
  void reasonsNameTheProblem() {
    assertThatThrownBy(() -> render("{\"headers\": [[\"subject\", \"a\\nb\"]]}"))
        .hasMessage("headers[0] (subject) must not contain CR or LF");
    assertThatThrownBy(() -> render("{\"text_body\": [{\"content_type\": \"text/plain\","
        + " \"content\": {\"create_id\": \"b7\"}}]}"))
        .hasMessage("text_body[0]: blob b7 is missing");
    assertThatThrownBy(() -> render("{\"headers\": [[\"to\", [{\"address\": \"x\"}]]]}"))
        .hasMessage("invalid address: x");
  }

  @Test
  void limits() {
    MessageBuilder small = new MessageBuilder(MimeTesting.CLOCK, new Random(1), "h.example",
        new MessageBuilder.Limits(2, 3, 1024));
    String three = "{\"file_attachments\": [" + part("a/b", "1") + "," + part("a/b", "2") + ","
        + part("a/b", "3") + "]}";
    assertThatThrownBy(() -> small.render(json(three), Map.of())).hasMessage("more than 2 parts");
    assertThatThrownBy(() -> small.render(json(withHeaders(
        "[\"a\", \"1\"], [\"b\", \"2\"], [\"c\", \"3\"], [\"d\", \"4\"]")), Map.of()))
        .hasMessage("more than 3 headers");
    assertThatThrownBy(() -> small.render(json(withHeaders(
        "[\"a\", \"" + "word ".repeat(150) + "\"], [\"b\", \"" + "word ".repeat(150) + "\"]")), Map.of()))
        .hasMessage("headers longer than 1024 octets");
  }

  @Test
  void validateIsADryRunWithoutBlobs() throws Exception {
    builder().validate(json(FULL), Set.of("inline0", "inline1", "inline2", "inline3"));
    assertThatThrownBy(() -> builder().validate(json(FULL), Set.of("inline0")))
        .hasMessageContaining("blob inline1 is missing");
  }

  @Test
  void displayNameFormsRoundTripThroughMime4j() throws Exception {
    ArrayNode to = MimeTesting.JSON.createArrayNode();
    List<String> names = List.of("Alice", "Alice Smith", "O'Brien", "a.b", "x  y", " lead",
        "Ω", "=?utf-8?q?x?=", "tab\there");
    for (int i = 0; i < names.size(); i++) {
      ObjectNode a = to.addObject();
      a.put("display_name", names.get(i));
      a.put("address", "u" + i + "@example.com");
    }
    ObjectNode spec = (ObjectNode) json(withHeaders("[\"to\", []]"));
    ((ArrayNode) spec.get("headers").get(0)).set(1, to);
    byte[] out = builder().render(spec, Map.of());
    List<Mailbox> parsed = mime4j(out).getTo().flatten();
    assertThat(parsed).hasSize(names.size());
    for (int i = 0; i < names.size(); i++) {
      String expected = names.get(i);
      assertThat(parsed.get(i).getName()).as("name %s", expected)
          .isEqualToIgnoringWhitespace(expected);
    }
    JsonNode back = new MessageParser().parse(out).json().at("/parts/headers/0/1");
    for (int i = 0; i < names.size(); i++) {
      assertThat(back.get(i).get("address").asText()).isEqualTo("u" + i + "@example.com");
    }
  }
}
