package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.deliver;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

/**
 * Peers that break the rules in ways no real server can be told to: replies that are not SMTP,
 * half a reply and then silence, a peer that stops reading the body, DATA answered with 354
 * although no recipient was accepted; and a body that is not the length it claims.
 */
class MisbehavingPeerTest {

  @Test
  void aReplyWithABareLfIsAProtocolError() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c);
      c.expect("MAIL");
      c.send("250 2.1.0 ok\n");
      c.line();
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), null);
      assertThat(tx.mailResponse()).isEqualTo(new Response(451, "4.5.0 smtp_output: invalid MAIL reply from"
          + " 127.0.0.1:" + peer.port() + ": reply line ends with a bare LF"));
    }
  }

  @Test
  void aReplyWhoseCodeChangesIsAProtocolError() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      c.send("220-fake\r\n221 bye\r\n");
      c.line();
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), null);
      assertThat(tx.mailResponse().message()).isEqualTo("4.5.0 smtp_output: invalid greeting reply from"
          + " 127.0.0.1:" + peer.port() + ": reply code changes within a reply: 220 then 221");
    }
  }

  @Test
  void anUnexpected3xxIsAProtocolError() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c);
      c.expect("MAIL");
      c.send("354 go on\r\n");
      c.line();
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), null);
      assertThat(tx.mailResponse().message()).isEqualTo("4.5.0 smtp_output: unexpected MAIL reply from"
          + " 127.0.0.1:" + peer.port() + ": 354 go on");
    }
  }

  /** Half a reply line, then nothing: the reply's deadline still applies. */
  @Test
  void halfAReplyThenSilenceTimesOut() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c);
      c.expect("MAIL");
      c.send("250-2.1.0 this reply never e");
      c.line();
    })) {
      FilterTx tx = deliver(options("{\"command_timeout\": 0.3}", peer.port()), tx("a@example.com", "b@example.net"),
          null);
      assertThat(tx.mailResponse().message()).isEqualTo("4.4.2 smtp_output: timeout after 300 ms waiting for the"
          + " MAIL reply from 127.0.0.1:" + peer.port());
    }
  }

  /**
   * The peer takes DATA and then stops reading: once both socket buffers are full the write
   * blocks, and the data block deadline (not the peer) ends it.
   */
  @Test
  void aPeerThatStopsReadingTheBodyTimesOut() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c);
      c.expect("MAIL");
      c.send("250 ok\r\n");
      c.expect("RCPT");
      c.send("250 ok\r\n");
      c.expect("DATA");
      c.send("354 go\r\n");
      Thread.sleep(60_000); // never reads again
    }, 4096)) {
      long t0 = System.nanoTime();
      FilterTx tx = deliver(options("{\"data_block_timeout\": 0.5}", peer.port()), tx("a@example.com", "b@example.net"),
          new byte[64 << 20]);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
      assertThat(tx.dataResponse()).isEqualTo(new Response(451, "4.4.2 smtp_output: timeout after 500 ms sending"
          + " the message data to 127.0.0.1:" + peer.port()));
      assertThat(ms).isLessThan(10_000);
    }
  }

  /** RFC 2920 §3.1: a pipelined DATA that gets 354 with no recipient accepted is ended at once. */
  @Test
  void dataAcceptedWithoutRecipientsGetsAnEmptyMessage() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "PIPELINING");
      c.expect("MAIL");
      c.expect("RCPT");
      c.expect("DATA");
      c.send("250 ok\r\n550 5.1.1 no such user\r\n354 go ahead anyway\r\n");
      String data = c.data();
      c.send("554 5.5.1 empty\r\n");
      if (!data.isEmpty()) {
        throw new AssertionError("body sent: " + data);
      }
      c.expect("QUIT");
      c.send("221 bye\r\n");
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), bytes("body\r\n"));
      assertThat(tx.rcptResponse(0)).isEqualTo(new Response(550, "5.1.1 no such user"));
      assertThat(tx.dataResponse()).isEqualTo(new Response(554, "5.5.1 smtp_output: no valid recipients"));
      assertThat(peer.failure()).isNull();
      assertThat(peer.received).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
          "RCPT TO:<b@example.net>", "DATA", ".", "QUIT");
    }
  }

  /** A blob shorter than it says: the DATA is never ended, the connection is dropped. */
  @Test
  void aBodyShorterThanItsLengthIsNeverEnded() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c);
      ScriptedPeer.transaction(c);
    })) {
      FilterTx tx = tx("a@example.com", "b@example.net");
      tx.body(new Body.Raw(new BlobSource() {
        @Override
        public long length() {
          return 100;
        }

        @Override
        public InputStream open() {
          return new java.io.ByteArrayInputStream(bytes("only this\r\n"));
        }
      }));
      try (Chain chain = Fixtures.chain(options("{}", peer.port()))) {
        chain.update(tx, new Delta(true, List.of(0), true));
      }
      assertThat(tx.dataResponse()).isEqualTo(new Response(451,
          "4.3.0 smtp_output: the message body has 11 bytes, not the 100 it announced"));
      assertThat(peer.received).doesNotContain(".", "QUIT");
    }
  }

  @Test
  void anUnreadableBodyIsATemporaryFailure() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "CHUNKING");
      c.expect("MAIL");
      c.send("250 ok\r\n");
      c.expect("RCPT");
      c.send("250 ok\r\n");
      c.line();
    })) {
      FilterTx tx = tx("a@example.com", "b@example.net");
      tx.body(new Body.Raw(new BlobSource() {
        @Override
        public long length() {
          return 10;
        }

        @Override
        public InputStream open() throws IOException {
          throw new IOException("disk on fire");
        }
      }));
      try (Chain chain = Fixtures.chain(options("{}", peer.port()))) {
        chain.update(tx, new Delta(true, List.of(0), true));
      }
      assertThat(tx.dataResponse()).isEqualTo(new Response(451,
          "4.3.0 smtp_output: cannot read the message body: disk on fire"));
    }
  }

  /** Cancelled before anything: nothing is sent, everything is answered 450. */
  @Test
  void aCancelledTransactionIsAnsweredLocally() {
    FilterTx tx = tx("a@example.com", "b@example.net");
    tx.cancel();
    try (Chain chain = Fixtures.chain(options("{}", 9))) {
      chain.update(tx, new Delta(true, List.of(0), false));
    }
    assertThat(tx.mailResponse()).isEqualTo(new Response(450, "4.3.0 smtp_output: cancelled"));
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(450, "4.3.0 smtp_output: cancelled"));
  }
}
