package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.all;
import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session cache of {@code smtp_output}: transactions to the same host one after the other
 * share one connection (RSET between them, as Postfix's connection cache), an idle session is
 * ended with QUIT once {@code connection_cache_time} passes, and a cached session the peer
 * closed meanwhile is replaced by a fresh connection without failing the transaction. Peers are
 * real processes: recorder.py and Postfix's smtp-sink.
 */
class SessionReuseTest {
  @TempDir Path dir;
  final List<Peers.Peer> peers = new ArrayList<>();

  @AfterEach
  void stop() {
    peers.forEach(Peers.Peer::close);
  }

  static Supplier<Filter> prepare(ObjectNode options) {
    return new SmtpOutputFactory().prepare(new FilterStanza("smtp_output", options, "test.yaml", 1));
  }

  static FilterTx send(Supplier<Filter> stanza, String rcpt) {
    FilterTx tx = tx("a@example.com", rcpt);
    tx.body(new Body.Raw(BlobSource.of(bytes(Fixtures.MESSAGE))));
    try (Chain chain = new Chain(List.of(stanza.get()))) {
      chain.update(tx, new Delta(true, all(tx), true));
    }
    return tx;
  }

  @Test
  void transactionsToOneHostShareASessionUntilItIdlesOut() throws Exception {
    Peers.Recorder r = Peers.recorder(Files.createDirectories(dir.resolve("rec")), "--ext", "PIPELINING");
    peers.add(r);
    Supplier<Filter> stanza = prepare(options(
        "{\"connection_reuse\": true, \"connection_cache_time\": 3}", r.port));
    for (String rcpt : List.of("b@example.net", "c@example.net", "d@example.net")) {
      FilterTx tx = send(stanza, rcpt);
      assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 queued as R1"));
    }
    assertThat(r.connections()).isEqualTo(1);
    // idle for longer than connection_cache_time: the session is ended politely
    await().atMost(Duration.ofSeconds(10)).until(() -> r.commands().contains("QUIT"));
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test",
        "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "DATA",
        "RSET", "MAIL FROM:<a@example.com>", "RCPT TO:<c@example.net>", "DATA",
        "RSET", "MAIL FROM:<a@example.com>", "RCPT TO:<d@example.net>", "DATA",
        "QUIT");
    // the next transaction opens a new session
    assertThat(send(stanza, "e@example.net").dataResponse().ok()).isTrue();
    assertThat(r.connections()).isEqualTo(2);
  }

  @Test
  void withoutReuseEveryTransactionHasItsOwnSession() throws Exception {
    Peers.Recorder r = Peers.recorder(Files.createDirectories(dir.resolve("rec")));
    peers.add(r);
    Supplier<Filter> stanza = prepare(options("{\"connection_reuse\": false}", r.port));
    for (String rcpt : List.of("b@example.net", "c@example.net")) {
      assertThat(send(stanza, rcpt).dataResponse().ok()).isTrue();
    }
    assertThat(r.connections()).isEqualTo(2);
    assertThat(r.commands()).filteredOn("QUIT"::equals).hasSize(2).doesNotContain("RSET");
  }

  @Test
  void aSessionThePeerClosedWhileIdleIsReplacedWithoutFailingTheTransaction() throws Exception {
    // smtp-sink drops a client that says nothing for 1 s
    Peers.Sink sink = Peers.smtpSink("-t", "1");
    peers.add(sink);
    Supplier<Filter> stanza = prepare(options(
        "{\"connection_reuse\": true, \"connection_cache_time\": 60}", sink.port));
    assertThat(send(stanza, "b@example.net").dataResponse().ok()).isTrue();
    Thread.sleep(2500);
    FilterTx second = send(stanza, "c@example.net");
    assertThat(second.mailResponse().ok()).isTrue();
    assertThat(second.dataResponse().ok()).isTrue();
    assertThat(second.filterOutput().get("smtp_output").get("reused").asBoolean()).isFalse();
    assertThat(sink.dumps()).hasSize(2);
  }
}
