package net.koukan.restout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rest_output} speaking to our own router's REST API (real server, real SQLite storage). */
class RestOutputToRouterTest {
  @TempDir Path dir;
  RouterUnderTest router;

  @AfterEach
  void stop() {
    if (router != null) {
      router.close();
    }
  }

  ObjectNode options(String sender, String extra) {
    ObjectNode o = RestOutputFilterTest.json("{\"rcpt_timeout\": 5, \"data_timeout\": 5, \"chunk_size\": 1000}");
    o.put("static_endpoint", router.base + "/senders/" + sender + "/transactions");
    o.setAll(RestOutputFilterTest.json(extra));
    return o;
  }

  @Test
  void oneShotSendLandsAsAStoredTransactionWithItsBody() throws IOException {
    router = new RouterUnderTest(dir, 700); // the router stores in 700-byte appends, we PUT 1000-byte ranges
    FilterTx tx = RestOutputFilterTest.tx("bob@example.com");
    tx.upstream("submission", null);
    byte[] msg = RestOutputFilterTest.message(2500);
    tx.body(new Body.Raw(BlobSource.of(msg)));
    Chain chain = RestOutputFilterTest.chain(options("submission", "{}"));
    chain.update(tx, RestOutputFilterTest.everything(tx));
    chain.close();

    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "ok"));
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "ok"));
    assertThat(tx.dataResponse()).isEqualTo(RouterUnderTest.DATA_OK);
    TxRow row = router.onlyRow();
    assertThat(row.inputDone()).isTrue();
    assertThat(row.envelope().sender()).isEqualTo("submission");
    assertThat(row.envelope().mailFrom()).isEqualTo(
        new Mailbox("alice@example.com", List.of(new EsmtpParam("SIZE", "100"))));
    assertThat(row.envelope().rcptTo()).containsExactly(Mailbox.of("bob@example.com"));
    assertThat(row.envelope().remoteHost()).isEqualTo(new HostPort("203.0.113.5", 41234));
    assertThat(row.envelope().smtpMeta().get("ehlo_host").asText()).isEqualTo("mx.peer.net");
    assertThat(router.storage.readBlob(row.restId(), Storage.BODY).orElseThrow()).isEqualTo(msg);
    assertThat(row.cancelled()).isFalse();
  }

  @Test
  void incrementalSendPatchesRecipientsAndPutsRanges() throws IOException {
    router = new RouterUnderTest(dir, 1 << 20);
    FilterTx tx = RestOutputFilterTest.tx();
    tx.upstream("ingress", "smtp-mx");
    Chain chain = RestOutputFilterTest.chain(options("ingress", "{}"));
    chain.update(tx, new Delta(true, List.of(), false));
    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "ok"));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    tx.addRcpt(Mailbox.of("carol@example.com"));
    chain.update(tx, new Delta(false, List.of(1), false));
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "ok"), new Response(250, "ok"));
    byte[] msg = RestOutputFilterTest.message(3333);
    tx.body(new Body.Raw(BlobSource.of(msg)));
    chain.update(tx, new Delta(false, List.of(), true));
    chain.close();

    assertThat(tx.dataResponse()).isEqualTo(RouterUnderTest.DATA_OK);
    TxRow row = router.onlyRow();
    assertThat(row.envelope().tag()).isEqualTo("smtp-mx");
    assertThat(row.envelope().rcptTo()).containsExactly(Mailbox.of("bob@example.com"), Mailbox.of("carol@example.com"));
    assertThat(router.storage.readBlob(row.restId(), Storage.BODY).orElseThrow()).isEqualTo(msg);
  }

  @Test
  void heartbeatsAndCancelAreUnderstood() throws IOException {
    router = new RouterUnderTest(dir, 1 << 20);
    router.upstream.answerData = false;
    FilterTx tx = RestOutputFilterTest.tx("bob@example.com");
    tx.upstream("submission", null);
    tx.body(new Body.Raw(BlobSource.of(RestOutputFilterTest.message(100))));
    Chain chain = RestOutputFilterTest.chain(options("submission",
        "{\"data_timeout\": 1.5, \"heartbeat_interval\": 0.4}"));
    chain.update(tx, RestOutputFilterTest.everything(tx));
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "ok"));
    // a refused heartbeat would have ended the wait with a 4.3.0 protocol error, not the timeout
    assertThat(tx.dataResponse()).isEqualTo(new Response(450, "4.4.7 rest_output: upstream timeout"));
    chain.close();
    TxRow row = router.onlyRow();
    assertThat(row.cancelled()).isTrue();
    assertThat(row.visibleFinalReason()).isEqualTo("downstream cancelled");
  }
}
