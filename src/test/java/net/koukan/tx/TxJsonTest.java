package net.koukan.tx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TxJsonTest {
  static JsonNode j(String s) throws Exception {
    return TxJson.MAPPER.readTree(s);
  }

  @Test
  void createParsesEveryField() throws Exception {
    TxDelta d = TxJson.parse(j("""
        {"remote_host": ["203.0.113.5", 41234], "local_host": ["192.0.2.1", 25],
         "mail_from": {"m": "a@peer.net", "e": [{"k": "SIZE", "p": "900"}, {"k": "SMTPUTF8"}]},
         "rcpt_to": [{"m": "b@x"}], "smtp_meta": {"ehlo_host": "mx"}, "sender": {"name": "n", "tag": "t"},
         "filter_output": {"k": 1}, "body": {"inline": "x"}}"""), TxJson.Op.CREATE);
    assertThat(d.remoteHost()).isEqualTo(new HostPort("203.0.113.5", 41234));
    assertThat(d.mailFrom().params()).containsExactly(new EsmtpParam("SIZE", "900"), new EsmtpParam("SMTPUTF8", null));
    assertThat(d.senderTag()).isEqualTo("t");
    assertThat(d.body()).isInstanceOf(BodySpec.Inline.class);
    assertThat(TxJson.toJson(d.mailFrom())).isEqualTo(j("{\"m\": \"a@peer.net\", \"e\": [{\"k\": \"SIZE\", \"p\": \"900\"}, {\"k\": \"SMTPUTF8\"}]}"));
  }

  @Test
  void emptyBodyObjectMeansNoBody() throws Exception {
    assertThat(TxJson.parse(j("{\"mail_from\": {\"m\": \"\"}, \"body\": {}}"), TxJson.Op.CREATE).body()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"mail_from\": {\"m\": \"a@x\", \"e\": [{\"k\": \"SIZE\", \"p\": \"1\\r\\nRCPT TO:<x@y>\"}]}}",
      "{\"mail_from\": {\"m\": \"a@x\", \"e\": [{\"k\": \"SI ZE\"}]}}",
      "{\"mail_from\": {\"m\": \"a@x\", \"e\": [{\"k\": \"SIZE\", \"p\": \"a=b\"}]}}",
      "{\"mail_from\": {\"m\": \"a@x\\r\\nDATA\"}}",
      "{\"mail_from\": {\"m\": \"a@x\", \"e\": []}}",
      "{\"mail_from\": {\"m\": \"a@x\", \"x\": 1}}",
      "{\"mail_from\": {\"m\": 5}}",
      "{\"remote_host\": [\"h\", 70000]}",
      "{\"remote_host\": [\"h\"]}",
      "{\"rcpt_to\": {\"m\": \"b@x\"}}",
      "{\"body\": {\"inline\": \"x\", \"reuse_uri\": \"/transactions/a/body\"}}",
      "{\"body\": {\"reuse_uri\": \"/transactions/a/blob/b\"}}",
      "{\"body\": {\"reuse_uri\": \"/elsewhere\"}}",
      "{\"body\": {\"message_builder\": {\"text_bodies\": []}}}",
      "{\"body\": {\"message_builder\": {\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"a\"}},"
          + " {\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"a\"}}]}}}",
      "{\"body\": {\"message_builder\": {\"text_body\": [{\"content_type\": \"text/plain\", \"content\": {\"create_id\": \"../x\"}}]}}}",
      "{\"sender\": {\"name\": \"x\", \"other\": 1}}",
      "{\"rcpt_to_list_offset\": 1}",
      "{\"cancelled\": true}"})
  void invalidCreatesAreRejected(String json) {
    assertThatThrownBy(() -> TxJson.parse(j(json), TxJson.Op.CREATE)).isInstanceOf(TxValidationException.class);
  }

  @Test
  void updateRejectsCreateOnlyFields() {
    assertThatThrownBy(() -> TxJson.parse(j("{\"remote_host\": [\"h\", 1]}"), TxJson.Op.UPDATE))
        .isInstanceOf(TxValidationException.class).hasMessageContaining("not valid in update");
    assertThatThrownBy(() -> TxJson.parse(j("{\"retry\": {}}"), TxJson.Op.UPDATE))
        .isInstanceOf(TxValidationException.class).hasMessageContaining("sender configuration");
  }

  @Test
  void builderBlobIdsCountEveryPartAndStoredSpecNamesThem() throws Exception {
    TxDelta d = TxJson.parse(j("""
        {"body": {"message_builder": {"headers": [["subject", "s"]],
          "text_body": [{"content_type": "text/plain", "content": {"inline": "a"}},
                        {"content_type": "text/html", "content": {"create_id": "h"}}],
          "file_attachments": [{"content_type": "image/png", "filename": "x.png",
                                "content": {"reuse_uri": "http://r/transactions/t/blob/img"}}]}}}"""),
        TxJson.Op.CREATE);
    BodySpec.Builder b = (BodySpec.Builder) d.body();
    assertThat(b.blobs()).extracting(BodySpec.BuilderBlob::id).containsExactly("inline0", "h", "img");
    assertThat(b.storedSpec().at("/text_body/0/content")).isEqualTo(j("{\"create_id\": \"inline0\"}"));
    assertThat(b.storedSpec().at("/file_attachments/0/content")).isEqualTo(j("{\"create_id\": \"img\"}"));
    assertThat(b.storedSpec().at("/file_attachments/0/filename").asText()).isEqualTo("x.png");
  }

  @Test
  void inlineBlobIdsArePartPositions() throws Exception {
    TxDelta d = TxJson.parse(j("""
        {"body": {"message_builder": {
          "text_body": [{"content_type": "text/plain", "content": {"inline": "a"}},
                        {"content_type": "text/html", "content": {"create_id": "h"}}],
          "file_attachments": [{"content_type": "text/plain", "content": {"inline": "c"}}]}}}"""),
        TxJson.Op.CREATE);
    assertThat(((BodySpec.Builder) d.body()).blobs()).extracting(BodySpec.BuilderBlob::id)
        .containsExactly("inline0", "h", "inline2");
  }
}
