package net.koukan.tx;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BuilderIdsTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  static TxDelta create(String spec) throws Exception {
    return TxJson.parse(TxJson.MAPPER.readTree("{\"mail_from\": {\"m\": \"a@example.com\"},"
        + " \"rcpt_to\": [{\"m\": \"b@example.net\"}], \"body\": {\"message_builder\": " + spec + "}}"), TxJson.Op.CREATE);
  }

  static JsonNode headers(TxDelta d) {
    return ((BodySpec.Builder) d.body()).storedSpec().get("headers");
  }

  @Test
  void missingDateAndMessageIdAreAddedOnceWithTheFromDomain() throws Exception {
    TxDelta d = BuilderIds.complete(create("{\"headers\": [[\"from\", [{\"address\": \"alice@Mail.Example.org\"}]],"
        + " [\"subject\", \"hi\"]], \"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"inline\": \"x\"}}]}"),
        NOW, "host.example");
    JsonNode h = headers(d);
    assertThat(h).hasSize(4);
    assertThat(h.get(2).toString()).isEqualTo("[\"Date\",{\"unix_secs\":1795341600,\"tz_offset\":0}]");
    assertThat(h.get(3).get(0).asText()).isEqualTo("Message-ID");
    assertThat(h.get(3).get(1).get(0).asText()).matches("[0-9a-f]{32}@mail\\.example\\.org");
    // the blobs and everything else are kept
    assertThat(((BodySpec.Builder) d.body()).blobs()).hasSize(1);
  }

  @Test
  void givenIdsAreKeptAndTheFallbackDomainServesWithoutFrom() throws Exception {
    TxDelta given = create("{\"headers\": [[\"date\", {\"unix_secs\": 1}], [\"message-id\", [\"x@y\"]]]}");
    assertThat(BuilderIds.complete(given, NOW, "host.example")).isSameAs(given);
    TxDelta none = BuilderIds.complete(create("{}"), NOW, "host.example");
    assertThat(headers(none).get(1).get(1).get(0).asText()).endsWith("@host.example");
    TxDelta raw = TxJson.parse(TxJson.MAPPER.readTree("{\"body\": {\"inline\": \"Subject: x\\r\\n\\r\\n\"}}"),
        TxJson.Op.UPDATE);
    assertThat(BuilderIds.complete(raw, NOW, "h.example")).isSameAs(raw);
  }
}
