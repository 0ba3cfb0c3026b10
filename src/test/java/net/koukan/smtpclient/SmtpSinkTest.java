package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.deliver;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.koukan.filter.FilterTx;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code smtp_output} against Postfix's {@code smtp-sink}, a real and independent SMTP/LMTP
 * server: delivery, what arrives (its {@code -d} dumps), the commands it saw ({@code -v}), and
 * its failure injection ({@code -r}, {@code -f}, {@code -q}, {@code -Q}, {@code -w}).
 */
class SmtpSinkTest {
  final List<Peers.Sink> sinks = new ArrayList<>();

  Peers.Sink sink(String... options) throws Exception {
    Peers.Sink s = Peers.smtpSink(options);
    sinks.add(s);
    return s;
  }

  @AfterEach
  void stop() {
    for (Peers.Sink s : sinks) {
      s.close();
      Peers.deleteTree(s.dir);
    }
  }

  @Test
  void deliversToSeveralRecipientsAndTheMessageArrivesIntact() throws Exception {
    Peers.Sink sink = sink();
    FilterTx tx = tx(new Mailbox("alice@example.com", List.of(new EsmtpParam("SIZE", "180"),
        new EsmtpParam("RET", "HDRS"))), "bob@example.net", "carol@example.net");
    tx.addRcpt(new Mailbox("dave@example.net", List.of(new EsmtpParam("NOTIFY", "NEVER"))));
    deliver(options("{}", sink.port), tx, bytes(Fixtures.MESSAGE));

    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "2.1.0 Ok"));
    assertThat(tx.rcptResponses()).containsOnly(new Response(250, "2.1.5 Ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 Ok"));
    assertThat(tx.filterOutput().path("smtp_output").path("host").asText()).isEqualTo("127.0.0.1:" + sink.port);
    assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean(true)).isFalse();

    await().atMost(Duration.ofSeconds(5)).until(() -> sink.dumps().size() == 1);
    String dump = sink.dumps().getFirst();
    // smtp-sink offers DSN but not SIZE: SIZE is dropped, DSN parameters pass
    assertThat(dump).contains("X-Helo-Args: client.koukan.test\n", "X-Mail-Args: <alice@example.com> RET=HDRS\n",
        "X-Rcpt-Args: <bob@example.net>\n", "X-Rcpt-Args: <carol@example.net>\n",
        "X-Rcpt-Args: <dave@example.net> NOTIFY=NEVER\n");
    // the dump has LF line ends and the dots un-stuffed: exactly the message we sent
    String body = dump.substring(dump.indexOf("From: alice@example.com"));
    assertThat(body).isEqualTo(Fixtures.MESSAGE.replace("\r\n", "\n") + "\n");
    assertThat(sink.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<alice@example.com> RET=HDRS",
        "RCPT TO:<bob@example.net>", "RCPT TO:<carol@example.net>", "RCPT TO:<dave@example.net> NOTIFY=NEVER",
        "DATA", ".", "QUIT");
  }

  @Test
  void readsSmtpSinksCapabilities() throws Exception {
    Peers.Sink sink = sink();
    try (SmtpClient c = new SmtpClient(SmtpClientConfig.defaults("client.koukan.test"))) {
      assertThat(c.open("127.0.0.1", sink.port)).isNull();
      Capabilities caps = c.capabilities();
      assertThat(caps.esmtp()).isTrue();
      assertThat(caps.pipelining()).isTrue();
      assertThat(caps.eightBitMime()).isTrue();
      assertThat(caps.dsn()).isTrue();
      assertThat(caps.enhancedStatusCodes()).isTrue();
      assertThat(caps.chunking()).isFalse();
      assertThat(caps.sizeLimit()).isEqualTo(-1);
      assertThat(caps.smtpUtf8()).isFalse();
      assertThat(c.pipelining()).isTrue();
      assertThat(c.chunking()).isFalse();
      assertThat(c.greeting().code()).isEqualTo(220);
      c.quit();
    }
    assertThat(sink.commands()).containsExactly("EHLO client.koukan.test", "QUIT");
  }

  /** {@code -r RCPT}: every RCPT gets 450 (and PIPELINING is off); no DATA without a recipient. */
  @Test
  void temporaryRecipientFailuresArePassedOnAndNoDataIsSent() throws Exception {
    Peers.Sink sink = sink("-r", "RCPT");
    FilterTx tx = deliver(options("{}", sink.port), tx("a@example.com", "b@example.net", "c@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponses()).containsExactly(new Response(450, "4.3.0 Error: command failed"),
        new Response(450, "4.3.0 Error: command failed"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(554, "5.5.1 smtp_output: no valid recipients"));
    assertThat(sink.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "QUIT");
  }

  /** {@code -f DATA}: the DATA refusal is the data response. */
  @Test
  void aRefusedDataCommandIsTheDataResponse() throws Exception {
    Peers.Sink sink = sink("-f", "DATA");
    FilterTx tx = deliver(options("{}", sink.port), tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    assertThat(tx.dataResponse()).isEqualTo(new Response(500, "5.3.0 Error: command failed"));
  }

  /** {@code -f .}: the refusal after the body is the data response. */
  @Test
  void aRefusedMessageIsTheDataResponse() throws Exception {
    Peers.Sink sink = sink("-f", ".");
    FilterTx tx = deliver(options("{}", sink.port), tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse()).isEqualTo(new Response(500, "5.3.0 Error: command failed"));
    assertThat(sink.commands()).endsWith("DATA", ".", "QUIT");
  }

  /** {@code -q RCPT}: the connection drops at RCPT; the recipient and the body get 451. */
  @Test
  void aDroppedConnectionIsATemporaryFailure() throws Exception {
    Peers.Sink sink = sink("-q", "RCPT");
    FilterTx tx = deliver(options("{}", sink.port), tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    Response lost = new Response(451,
        "4.4.2 smtp_output: 127.0.0.1:" + sink.port + " closed the connection during RCPT");
    assertThat(tx.rcptResponse(0)).isEqualTo(lost);
    assertThat(tx.dataResponse()).isEqualTo(lost);
  }

  /** First host: 421 and disconnect at MAIL ({@code -Q MAIL}); the second host delivers. */
  @Test
  void aTemporaryMailFailureMovesOnToTheNextHost() throws Exception {
    Peers.Sink bad = sink("-Q", "MAIL");
    Peers.Sink good = sink();
    FilterTx tx = deliver(options("{}", bad.port, good.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "2.1.0 Ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 Ok"));
    assertThat(tx.filterOutput().path("smtp_output").path("tried").get(0).path("response").asText())
        .startsWith("421 ");
    assertThat(tx.filterOutput().path("smtp_output").path("host").asText()).isEqualTo("127.0.0.1:" + good.port);
    await().atMost(Duration.ofSeconds(5)).until(() -> good.dumps().size() == 1);
    assertThat(bad.dumps()).isEmpty();
  }

  /** {@code -f MAIL} on the first host: a 5xx MAIL is final, the second host is never contacted. */
  @Test
  void aPermanentMailFailureIsNotTriedElsewhere() throws Exception {
    Peers.Sink bad = sink("-f", "MAIL");
    Peers.Sink other = sink();
    FilterTx tx = deliver(options("{}", bad.port, other.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(500, "5.3.0 Error: command failed"));
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(bad.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>", "QUIT");
    assertThat(other.commands()).isEmpty();
  }

  /** {@code -e}: EHLO is refused (500), HELO works, and no ESMTP parameter is sent. */
  @Test
  void fallsBackToHeloAndDropsParameters() throws Exception {
    Peers.Sink sink = sink("-e");
    FilterTx tx = deliver(options("{}", sink.port), tx(new Mailbox("a@example.com",
        List.of(new EsmtpParam("SIZE", "100"), new EsmtpParam("ENVID", "x"))), "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().path("smtp_output").path("esmtp").asBoolean(true)).isFalse();
    assertThat(sink.commands()).startsWith("EHLO client.koukan.test", "HELO client.koukan.test",
        "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "DATA");
  }

  /**
   * {@code -w 5}: smtp-sink waits 5 s before answering DATA; our 0.5 s deadline gives 451 first.
   * ({@code -p}: without PIPELINING, as smtp-sink holds back the MAIL and RCPT replies of a
   * pipelined group until it answered the DATA in it.)
   */
  @Test
  void aSilentPeerTimesOutWithATemporaryFailure() throws Exception {
    Peers.Sink sink = sink("-p", "-w", "5");
    long t0 = System.nanoTime();
    FilterTx tx = deliver(options("{\"data_init_timeout\": 0.5}", sink.port),
        tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    assertThat(tx.dataResponse()).isEqualTo(new Response(451, "4.4.2 smtp_output: timeout after 500 ms"
        + " waiting for the DATA reply from 127.0.0.1:" + sink.port));
    assertThat(ms).isBetween(500L, 4000L);
  }

  /** {@code -L}: LMTP, one reply per accepted recipient after the body (all three are read). */
  @Test
  void lmtpReadsOneReplyPerRecipient() throws Exception {
    Peers.Sink sink = sink("-L");
    FilterTx tx = deliver(options("{\"protocol\": \"lmtp\"}", sink.port),
        tx("a@example.com", "b@example.net", "c@example.net", "d@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.2.0 Ok"));
    assertThat(tx.filterOutput().path("smtp_output").path("lmtp_data")).hasSize(3);
    assertThat(sink.commands()).containsExactly("LHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "RCPT TO:<d@example.net>", "DATA", ".", "QUIT");
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.dumps().size() == 1);
    assertThat(sink.dumps().getFirst()).contains("X-Client-Proto: LMTP\n");
  }
}
