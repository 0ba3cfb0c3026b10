package net.koukan.mime;

import static net.koukan.mime.MimeTesting.json;
import static net.koukan.mime.MimeTesting.read;
import static net.koukan.mime.MimeTesting.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import net.koukan.filter.BlobSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Builder → parser: what a spec says comes back from the message rendered from it. */
class RoundTripTest {

  static final String HEADERS = """
      [["from", [{"display_name": "Jörg Müller", "address": "joerg@example.de"}]],
       ["to", [{"display_name": "Bob, the builder", "address": "bob@example.org"},
               {"display_name": "", "address": "carol@example.org"}]],
       ["cc", [{"display_name": "日本語の名前", "address": "nihon@example.jp"}]],
       ["subject", "Grüße – 你好 – a subject long enough to be folded across more than one line of the header"],
       ["date", {"unix_secs": 1709750551, "tz_offset": 19800}],
       ["message-id", ["round.trip@example.de"]],
       ["x-custom", "verbatim value"]]""";

  static final String[] SPECS = {
      // text only
      "{\"headers\": %s, \"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"t0\"}}]}",
      // the full structure: mixed[alternative[related[html, img], plain], file, file]
      """
      {"headers": %s,
       "text_body": [{"content_type": "text/html", "content": {"create_id": "t0"}},
                     {"content_type": "text/plain", "content": {"create_id": "t1"}}],
       "related_attachments": [{"content_type": "image/png", "content_id": "logo@x", "content": {"create_id": "r0"}}],
       "file_attachments": [{"content_type": "application/pdf", "filename": "résumé final.pdf", "content": {"create_id": "f0"}},
                            {"content_type": "application/octet-stream", "filename": "data.bin", "content": {"create_id": "f1"}}]}""",
      // related without alternative
      """
      {"headers": %s,
       "text_body": [{"content_type": "text/html", "content": {"create_id": "t0"}}],
       "related_attachments": [{"content_type": "image/png", "content_id": "a@x", "content": {"create_id": "r0"}},
                               {"content_type": "image/gif", "content_id": "b@x", "content": {"create_id": "r1"}}]}""",
      // attachments only
      """
      {"headers": %s,
       "file_attachments": [{"content_type": "application/pdf", "filename": "a.pdf", "content": {"create_id": "f0"}},
                            {"content_type": "image/jpeg", "filename": "Ünïcödé.jpg", "content": {"create_id": "f1"}}]}"""
  };

  static Map<String, BlobSource> blobs() {
    Map<String, BlobSource> b = new HashMap<>();
    b.put("t0", BlobSource.of(utf8("<p>Grüße</p>\nzweite Zeile\n")));
    b.put("t1", BlobSource.of(utf8("Grüße\n" + "long line ".repeat(30) + "\n\tindented  \n")));
    byte[] binary = new byte[3000];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 31 + 7);
    }
    b.put("r0", BlobSource.of(binary));
    b.put("r1", BlobSource.of("GIF89a\r\n\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
    b.put("f0", BlobSource.of(utf8("%PDF-1.4\n")));
    b.put("f1", BlobSource.of(new byte[0]));
    return b;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3})
  void flattenedViewGivesBackTheSpec(int which) throws Exception {
    JsonNode spec = json(SPECS[which].formatted(HEADERS));
    Map<String, BlobSource> blobs = blobs();
    byte[] message = MimeTesting.builder().render(spec, blobs);
    for (int maxInline : new int[] {0, 65536}) {
      MessageParser.Result parsed = new MessageParser(maxInline).parse(message);
      JsonNode out = parsed.json();
      for (String list : new String[] {"text_body", "related_attachments", "file_attachments"}) {
        JsonNode want = spec.path(list);
        JsonNode got = out.path(list);
        assertThat(got.size()).as("%s (max_inline %d)", list, maxInline).isEqualTo(want.size());
        for (int i = 0; i < want.size(); i++) {
          JsonNode w = want.get(i);
          JsonNode g = got.get(i);
          assertThat(g.get("content_type").asText()).isEqualTo(w.get("content_type").asText());
          assertThat(g.path("filename").asText(null)).isEqualTo(w.path("filename").asText(null));
          assertThat(g.path("content_id").asText(null)).isEqualTo(w.path("content_id").asText(null));
          byte[] expected = read(blobs.get(w.at("/content/create_id").asText()));
          if (list.equals("text_body")) { // text is sent in canonical form: CRLF line ends
            expected = utf8(utf8(expected).replace("\n", "\r\n"));
          }
          JsonNode c = g.get("content");
          byte[] actual = c.has("inline") ? utf8(c.get("inline").asText())
              : read(parsed.blobs().get(c.get("create_id").asText()));
          assertThat(actual).as("%s[%d] content", list, i).isEqualTo(expected);
        }
      }
      JsonNode headers = out.at("/parts/headers");
      ArrayNode sent = (ArrayNode) spec.get("headers");
      for (JsonNode h : sent) {
        JsonNode back = find(headers, h.get(0).asText());
        switch (h.get(0).asText()) {
          case "from", "to", "cc" -> assertThat(back).isEqualTo(h.get(1));
          case "date" -> assertThat(MimeTesting.normalized((ObjectNode) back)).isEqualTo(h.get(1));
          case "message-id" -> assertThat(back.asText()).isEqualTo(h.get(1).get(0).asText());
          default -> assertThat(back.asText()).isEqualTo(h.get(1).asText());
        }
      }
    }
  }

  private static JsonNode find(JsonNode headers, String name) {
    for (JsonNode h : headers) {
      if (h.get(0).asText().equals(name)) {
        return h.get(1);
      }
    }
    throw new AssertionError("no header " + name + " in " + headers);
  }
}
