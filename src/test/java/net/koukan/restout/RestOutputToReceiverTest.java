package net.koukan.restout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.receiver.ReceiverServer;
import net.koukan.receiver.ReceiverSettings;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rest_output} delivering to the real REST receiver: messages land in its directory. */
class RestOutputToReceiverTest {
  @TempDir Path dir;
  ReceiverServer receiver;

  @BeforeEach
  void start() {
    receiver = new ReceiverServer("127.0.0.1", 0, ReceiverSettings.defaults(dir), Clock.systemUTC()).start();
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  ObjectNode options(int chunk) {
    ObjectNode o = RestOutputFilterTest.json("{\"rcpt_timeout\": 5, \"data_timeout\": 10}");
    o.put("static_endpoint", receiver.baseUri() + "/senders/router/transactions");
    o.put("chunk_size", chunk);
    return o;
  }

  /** The one stored message's id (from its file name). */
  String storedId() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      List<String> msgs = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".msg")).toList();
      assertThat(msgs).hasSize(1);
      return msgs.getFirst().substring(0, msgs.getFirst().length() - 4);
    }
  }

  @Test
  void aMessageLandsInTheDirectory() throws IOException {
    FilterTx tx = RestOutputFilterTest.tx("bob@example.com");
    byte[] msg = RestOutputFilterTest.message(2000);
    tx.body(new Body.Raw(BlobSource.of(msg)));
    Chain chain = RestOutputFilterTest.chain(options(1 << 20));
    chain.update(tx, RestOutputFilterTest.everything(tx));
    chain.close();

    String id = storedId();
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 stored " + id));
    assertThat(Files.readAllBytes(dir.resolve(id + ".msg"))).isEqualTo(msg);
    JsonNode env = TxJson.MAPPER.readTree(dir.resolve(id + ".tx.json").toFile());
    assertThat(env.at("/mail_from/m").asText()).isEqualTo("alice@example.com");
    assertThat(env.at("/mail_from/e/0/k").asText()).isEqualTo("SIZE");
    assertThat(env.at("/rcpt_to/0/m").asText()).isEqualTo("bob@example.com");
    assertThat(env.at("/remote_host/0").asText()).isEqualTo("203.0.113.5");
    assertThat(env.at("/smtp_meta/ehlo_host").asText()).isEqualTo("mx.peer.net");
    assertThat(env.at("/sender/tag").asText()).isEqualTo("outbound");
  }

  @Test
  void aBigBodyGoesInRangesAndRecipientsIncrementally() throws IOException {
    FilterTx tx = RestOutputFilterTest.tx();
    tx.options(RestOutputFilterTest.json("{\"send_filter_output\": true}"));
    Chain chain = RestOutputFilterTest.chain(options(64 * 1024));
    chain.update(tx, new Delta(true, List.of(), false));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    tx.addRcpt(Mailbox.of("carol@example.com"));
    chain.update(tx, new Delta(false, List.of(1), false));
    tx.filterOutput().set("check", RestOutputFilterTest.json("{\"ok\": true}"));
    byte[] msg = RestOutputFilterTest.message(300_000); // 5 ranges of 64 KiB
    tx.body(new Body.Raw(BlobSource.of(msg)));
    chain.update(tx, new Delta(false, List.of(), true));
    chain.close();

    String id = storedId();
    assertThat(tx.rcptResponses()).containsOnly(new Response(250, "ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 stored " + id));
    assertThat(Files.readAllBytes(dir.resolve(id + ".msg"))).isEqualTo(msg);
    JsonNode env = TxJson.MAPPER.readTree(dir.resolve(id + ".tx.json").toFile());
    assertThat(env.get("rcpt_to")).hasSize(2);
    assertThat(env.at("/filter_output/check/ok").asBoolean()).isTrue();
  }
}
