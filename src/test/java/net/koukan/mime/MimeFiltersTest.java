package net.koukan.mime;

import static net.koukan.mime.MimeTesting.json;
import static net.koukan.mime.MimeTesting.mime4j;
import static net.koukan.mime.MimeTesting.read;
import static net.koukan.mime.MimeTesting.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.apache.james.mime4j.dom.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** message_builder and message_parser in a chain, with a capture filter as the output. */
class MimeFiltersTest {

  /** The output: answers everything 250 and records the body it was given. */
  static final class Capture implements Filter {
    final List<Delta> deltas = new ArrayList<>();
    Body body;
    byte[] bytes;

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      deltas.add(delta);
      tx.fillUnanswered(new Delta(delta.mailFrom(), delta.rcpts(), false), new Response(250, "ok"));
      if (delta.body()) {
        body = tx.body();
        if (body instanceof Body.Raw raw) {
          bytes = read(raw.blob()); // read while the attempt is on: spill files go at close
        }
        tx.dataResponse(new Response(250, "2.0.0 captured"));
      }
    }
  }

  static FilterStanza stanza(String filter, String options) {
    return new FilterStanza(filter, (ObjectNode) json(options), "router.yaml", 7);
  }

  static FilterTx tx(Body body) {
    FilterTx tx = new FilterTx("tx1", "submission", null);
    tx.mailFrom(Mailbox.of("alice@example.com"));
    tx.addRcpt(Mailbox.of("bob@example.org"));
    tx.body(body);
    return tx;
  }

  static final Delta ALL = new Delta(true, List.of(0), true);

  static Filter builderFilter() {
    return new MessageBuilderFilter.Factory(MimeTesting.CLOCK, "router.example").prepare(
        stanza("message_builder", "{}")).get();
  }

  // ------------------------------------------------------------------ message_builder

  @Test
  void rendersABuilderBodyForTheFiltersAfterIt() {
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Builder((ObjectNode) json(MessageBuilderTest.FULL), MessageBuilderTest.FULL_BLOBS));
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 captured"));
    assertThat(out.body).isInstanceOf(Body.Raw.class);
    assertThat(tx.body()).isSameAs(out.body);
    Message m = mime4j(out.bytes);
    assertThat(m.getMimeType()).isEqualTo("multipart/mixed");
    assertThat(m.getSubject()).isEqualTo("hello");
  }

  @Test
  void invalidSpecAnswersTheBodyAndDoesNotPassItOn() {
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Builder((ObjectNode) json(
        "{\"headers\": [[\"subject\", \"a\\r\\nb\"]], \"text_body\": []}"), Map.of()));
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(out.deltas).containsExactly(new Delta(true, List.of(0), false));
    assertThat(out.body).isNull();
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.dataResponse()).isEqualTo(new Response(550,
        "5.6.0 invalid message_builder spec: headers[0] (subject) must not contain CR or LF"));
  }

  @Test
  void invalidSpecInALaterUpdateAnswersOnlyTheBody() {
    Capture out = new Capture();
    FilterTx tx = new FilterTx("tx1", "s", null);
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      tx.mailFrom(Mailbox.of("alice@example.com"));
      tx.addRcpt(Mailbox.of("bob@example.org"));
      chain.update(tx, new Delta(true, List.of(0), false));
      tx.body(new Body.Builder((ObjectNode) json("{\"text_body\": [{\"content_type\": \"text/plain\","
          + " \"content\": {\"create_id\": \"missing\"}}]}"), Map.of()));
      chain.update(tx, new Delta(false, List.of(), true));
    }
    assertThat(out.deltas).hasSize(1);
    assertThat(tx.dataResponse().code()).isEqualTo(550);
    assertThat(tx.dataResponse().message()).endsWith("text_body[0]: blob missing is missing");
  }

  @Test
  void unreadableBlobIsATemporaryFailure() {
    BlobSource broken = new BlobSource() {
      @Override
      public long length() {
        return 10;
      }

      @Override
      public InputStream open() throws IOException {
        throw new IOException("storage is down");
      }
    };
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Builder((ObjectNode) json("{\"text_body\": [{\"content_type\": \"text/plain\","
        + " \"content\": {\"create_id\": \"b\"}}]}"), Map.of("b", broken)));
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(tx.dataResponse().code()).isEqualTo(451);
    assertThat(out.body).isNull();
  }

  @Test
  void rawBodiesPassThroughUntouched() {
    Body.Raw raw = new Body.Raw(BlobSource.of(utf8("Subject: raw\r\n\r\nbody\r\n")));
    Capture out = new Capture();
    FilterTx tx = tx(raw);
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(out.body).isSameAs(raw);
  }

  @Test
  void aParsedBodyTurnsBackIntoTheOriginalMessage() {
    BlobSource original = BlobSource.of(utf8("Subject: orig\r\n\r\nx\r\n"));
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Builder((ObjectNode) json("{\"parts\": {}}"),
        Map.of(MessageParserFilter.RAW_BLOB, original)));
    try (Chain chain = new Chain(List.of(builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(((Body.Raw) out.body).blob()).isSameAs(original);
  }

  @Test
  void largeRenderingSpillsToAFileThatCloseDeletes(@TempDir Path dir) throws IOException {
    Filter f = new MessageBuilderFilter.Factory(MimeTesting.CLOCK, "router.example", dir)
        .prepare(stanza("message_builder", "{}")).get();
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Builder((ObjectNode) json("{\"file_attachments\": [{\"content_type\":"
        + " \"application/octet-stream\", \"content\": {\"create_id\": \"big\"}}]}"),
        Map.of("big", new MimeTesting.Generated(2 * MessageBuilderFilter.MEMORY_LIMIT))));
    Chain chain = new Chain(List.of(f, out));
    chain.update(tx, ALL);
    try (var files = Files.list(dir)) {
      assertThat(files.count()).isEqualTo(1);
    }
    assertThat(out.bytes.length).isGreaterThan(2 * MessageBuilderFilter.MEMORY_LIMIT);
    chain.close();
    try (var files = Files.list(dir)) {
      assertThat(files.count()).isZero();
    }
  }

  @Test
  void factoriesAreNamedAndTakeNoOptions() {
    MessageBuilderFilter.Factory b = new MessageBuilderFilter.Factory(MimeTesting.CLOCK, "h.example");
    MessageParserFilter.Factory p = new MessageParserFilter.Factory();
    assertThat(b.name()).isEqualTo("message_builder");
    assertThat(p.name()).isEqualTo("message_parser");
    assertThatThrownBy(() -> b.prepare(stanza("message_builder", "{\"max_inline\": 3}")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("router.yaml:7")
        .hasMessageContaining("takes no options");
    assertThatThrownBy(() -> p.prepare(stanza("message_parser", "{\"x\": 1}")))
        .isInstanceOf(ConfigException.class);
    assertThat(p.prepare(stanza("message_parser", "{}")).get()).isNotSameAs(
        p.prepare(stanza("message_parser", "{}")).get());
  }

  // ------------------------------------------------------------------ message_parser

  static Filter parserFilter() {
    return new MessageParserFilter.Factory().prepare(stanza("message_parser", "{}")).get();
  }

  @Test
  void parsesOnlyWhenTheDestinationAsksForIt() {
    Body.Raw raw = new Body.Raw(BlobSource.of(MimeTesting.message("mixed-attachment.eml")));
    Capture out = new Capture();
    FilterTx tx = tx(raw);
    try (Chain chain = new Chain(List.of(parserFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(out.body).isSameAs(raw);
  }

  @Test
  void parsedBodyCarriesTheJsonItsBlobsAndTheOriginal() {
    byte[] message = MimeTesting.message("mixed-attachment.eml");
    BlobSource original = BlobSource.of(message);
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Raw(original));
    tx.options((ObjectNode) json("{\"receive_parsing\": {\"max_inline\": 0}}"));
    try (Chain chain = new Chain(List.of(parserFilter(), out))) {
      chain.update(tx, ALL);
    }
    Body.Builder b = (Body.Builder) out.body;
    assertThat(b.blobs()).containsOnlyKeys("0", "1", "2", MessageParserFilter.RAW_BLOB);
    assertThat(b.blobs().get(MessageParserFilter.RAW_BLOB)).isSameAs(original);
    assertThat(b.spec().at("/parts/content_type").asText()).isEqualTo("multipart/mixed");
    assertThat(b.spec().at("/file_attachments/0/filename").asText()).isEqualTo("résumé.pdf");
    assertThat(utf8(read(b.blobs().get("0")))).isEqualTo("See the attachments.");
    assertThat(tx.dataResponse().code()).isEqualTo(250);
  }

  @Test
  void receiveParsingWithoutSettingsUsesTheDefaultInlineLimit() {
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Raw(BlobSource.of(MimeTesting.message("alternative.eml"))));
    tx.options((ObjectNode) json("{\"receive_parsing\": null, \"send_filter_output\": true}"));
    try (Chain chain = new Chain(List.of(parserFilter(), out))) {
      chain.update(tx, ALL);
    }
    Body.Builder b = (Body.Builder) out.body;
    assertThat(b.spec().at("/text_body/1/content/inline").asText()).isEqualTo("<p>Grüße</p>");
    assertThat(b.blobs()).containsOnlyKeys(MessageParserFilter.RAW_BLOB);
  }

  @Test
  void parserThenBuilderGivesTheOriginalBack() {
    byte[] message = MimeTesting.message("related-inline-image.eml");
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Raw(BlobSource.of(message)));
    tx.options((ObjectNode) json("{\"receive_parsing\": {}}"));
    try (Chain chain = new Chain(List.of(parserFilter(), builderFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(out.bytes).isEqualTo(message);
  }

  @Test
  void unreadableMessageIsATemporaryFailure() {
    BlobSource broken = new BlobSource() {
      @Override
      public long length() {
        return 10;
      }

      @Override
      public InputStream open() throws IOException {
        throw new IOException("gone");
      }
    };
    Capture out = new Capture();
    FilterTx tx = tx(new Body.Raw(broken));
    tx.options((ObjectNode) json("{\"receive_parsing\": {\"max_inline\": 10}}"));
    try (Chain chain = new Chain(List.of(parserFilter(), out))) {
      chain.update(tx, ALL);
    }
    assertThat(tx.dataResponse().code()).isEqualTo(451);
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    assertThat(out.body).isNull();
  }
}
