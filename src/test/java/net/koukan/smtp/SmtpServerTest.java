package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command parser and state machine over real loopback sockets, with a recording session. */
class SmtpServerTest extends ServerFixture {
  @TempDir Path tmp;

  @Test
  void greetingEhloAndHelo() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxMessageSize(12345)));
    TestClient c = TestClient.connect(s.port());
    TestClient.Got greet = c.read();
    assertThat(greet.toString()).isEqualTo("220 mx.test ESMTP koukan");
    TestClient.Got ehlo = c.cmd("EHLO client.test");
    assertThat(ehlo.code()).isEqualTo(250);
    assertThat(ehlo.lines()).containsExactly("mx.test", "PIPELINING", "SIZE 12345", "8BITMIME", "SMTPUTF8",
        "ENHANCEDSTATUSCODES", "CHUNKING");
    assertThat(c.cmd("HELO client.test").toString()).isEqualTo("250 mx.test");
    assertThat(c.cmd("EHLO").toString()).isEqualTo("501 5.5.4 syntax: EHLO hostname");
    assertThat(c.cmd("QUIT").toString()).isEqualTo("221 2.0.0 mx.test closing connection");
    assertThat(c.closedByServer()).isTrue();
    assertThat(rec.opened).hasSize(1);
    assertThat(rec.opened.get(0).remote().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(rec.opened.get(0).heloName()).isNull();
    c.close();
  }

  @Test
  void withoutChunkingNoCHUNKINGAndBdatIsRefusedInSync() throws IOException {
    SmtpServer s = start(b -> b.chunking(false));
    TestClient c = client(s);
    TestClient.Got ehlo = c.cmd("EHLO client.test");
    assertThat(ehlo.lines()).doesNotContain("CHUNKING").contains("PIPELINING");
    assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
    assertThat(c.cmd("RCPT TO:<b@example.com>").code()).isEqualTo(250);
    c.send("BDAT 5 LAST\r\nhello");
    assertThat(c.read().toString()).isEqualTo("502 5.5.1 BDAT not available here (no CHUNKING)");
    // the chunk was read and dropped: the session goes on with DATA
    assertThat(c.cmd("DATA").code()).isEqualTo(354);
    assertThat(c.cmd("Subject: x\r\n\r\nbody\r\n.").code()).isEqualTo(250);
    assertThat(rec.messages).hasSize(1);
  }

  @Test
  void deliversOneMessageAndResetsAfterData() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("MAIL FROM:<alice@example.com>").toString()).isEqualTo("250 2.1.0 ok");
    assertThat(c.cmd("RCPT TO:<bob@example.net>").toString()).isEqualTo("250 2.1.5 ok");
    assertThat(c.cmd("DATA").code()).isEqualTo(354);
    TestClient.Got done = c.cmd("Subject: hi\r\n\r\n..dot\r\nbody\r\n.");
    assertThat(done.toString()).isEqualTo("250 2.0.0 queued");
    assertThat(rec.messages).hasSize(1);
    Recorder.Message m = rec.messages.get(0);
    assertThat(m.text()).isEqualTo("Subject: hi\r\n\r\n.dot\r\nbody\r\n");
    assertThat(m.from().address()).isEqualTo("alice@example.com");
    assertThat(m.rcpts()).extracting(r -> r.address()).containsExactly("bob@example.net");
    assertThat(m.info().heloName()).isEqualTo("client.test");
    assertThat(m.info().esmtp()).isTrue();
    assertThat(m.info().tls()).isFalse();
    assertThat(m.info().authUser()).isNull();
    assertThat(rec.calls).containsExactly("mail alice@example.com", "rcpt bob@example.net", "data", "reset");
    // a second transaction on the same connection
    assertThat(c.cmd("MAIL FROM:<>").code()).isEqualTo(250);
    assertThat(c.cmd("RSET").toString()).isEqualTo("250 2.0.0 ok");
    assertThat(rec.calls).endsWith("mail ", "reset");
  }

  @Test
  void pipelinedCommandsAreAnsweredInOrder() throws IOException {
    SmtpServer s = start();
    rec.onRcpt = m -> m.address().startsWith("bad") ? new Response(550, "5.1.1 no such user") : new Response(250, "ok");
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b1@example.com>\r\nRCPT TO:<bad@example.com>\r\n"
        + "RCPT TO:<b2@example.com>\r\nDATA\r\n");
    assertThat(c.read(5)).extracting(TestClient.Got::toString).containsExactly("250 2.1.0 ok", "250 2.1.5 ok",
        "550 5.1.1 no such user", "250 2.1.5 ok", "354 end data with <CR><LF>.<CR><LF>");
    // the message, a second pipelined transaction and QUIT in one write
    c.send("one\r\n.\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<y@example.com>\r\nDATA\r\n");
    assertThat(c.read(4)).extracting(TestClient.Got::code).containsExactly(250, 250, 250, 354);
    c.send("two\r\n.\r\nNOOP\r\nQUIT\r\n");
    assertThat(c.read(3)).extracting(TestClient.Got::code).containsExactly(250, 250, 221);
    assertThat(rec.messages).extracting(Recorder.Message::text).containsExactly("one\r\n", "two\r\n");
    assertThat(rec.messages.get(0).rcpts()).extracting(r -> r.address()).containsExactly("b1@example.com", "b2@example.com");
  }

  @Test
  void badSequence() throws IOException {
    SmtpServer s = start();
    TestClient c = client(s);
    assertThat(c.cmd("MAIL FROM:<a@example.com>").toString()).isEqualTo("503 5.5.1 send EHLO/HELO first");
    c.cmd("EHLO client.test");
    assertThat(c.cmd("RCPT TO:<a@example.com>").toString()).isEqualTo("503 5.5.1 need MAIL command");
    assertThat(c.cmd("DATA").toString()).isEqualTo("503 5.5.1 need MAIL command");
    assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
    assertThat(c.cmd("MAIL FROM:<a@example.com>").toString()).isEqualTo("503 5.5.1 nested MAIL command");
    assertThat(c.cmd("DATA").toString()).isEqualTo("554 5.5.1 no valid recipients");
    assertThat(c.cmd("DATA x").toString()).isEqualTo("501 5.5.4 syntax: DATA");
    assertThat(rec.dataCalls).hasValue(0);
  }

  @Test
  void otherCommands() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("NOOP").toString()).isEqualTo("250 2.0.0 ok");
    assertThat(c.cmd("NOOP anything").toString()).isEqualTo("250 2.0.0 ok");
    assertThat(c.cmd("VRFY postmaster").toString())
        .isEqualTo("252 2.5.0 cannot VRFY user, but will accept message and attempt delivery");
    assertThat(c.cmd("VRFY").code()).isEqualTo(501);
    assertThat(c.cmd("EXPN staff").toString()).isEqualTo("502 5.5.1 EXPN not supported");
    assertThat(c.cmd("HELP").code()).isEqualTo(214);
    assertThat(c.cmd("ETRN example.com").toString()).isEqualTo("502 5.5.1 command not implemented");
    assertThat(c.cmd("FOO").toString()).isEqualTo("500 5.5.2 command not recognized");
    assertThat(c.cmd("RSET x").toString()).isEqualTo("501 5.5.4 syntax: RSET");
    assertThat(c.cmd("STARTTLS").toString()).isEqualTo("502 5.5.1 STARTTLS not available");
    assertThat(c.cmd("AUTH PLAIN").toString()).isEqualTo("502 5.5.1 AUTH not available");
    assertThat(c.cmd("noop").code()).isEqualTo(250);
    c.send("NOOP\n");
    assertThat(c.read().toString()).isEqualTo("500 5.5.2 command line must end with CRLF, not a bare LF");
    c.send("NO\rOP\r\n");
    assertThat(c.read().toString()).isEqualTo("500 5.5.2 bare CR in command line");
    c.send(new byte[] {'N', 'O', 'O', 'P', ' ', (byte) 0xff, '\r', '\n'});
    assertThat(c.read().toString()).isEqualTo("500 5.5.2 invalid UTF-8 in command line");
  }

  @Test
  void normalizeAcceptsLfCommandLines() throws IOException {
    SmtpServer s = start(b -> b.bareLf(BareLfPolicy.NORMALIZE));
    TestClient c = client(s);
    c.send("EHLO x\nMAIL FROM:<a@example.com>\nRCPT TO:<b@example.com>\nDATA\n");
    assertThat(c.read(4)).extracting(TestClient.Got::code).containsExactly(250, 250, 250, 354);
    c.send("lf only\nsecond\r\n.\r\n");
    assertThat(c.read().code()).isEqualTo(250);
    assertThat(rec.messages.get(0).text()).isEqualTo("lf only\r\nsecond\r\n");
  }

  @Test
  void nonSmtpClientsAreDropped() throws IOException {
    SmtpServer s = start();
    TestClient c = client(s);
    c.send("GET / HTTP/1.1\r\nHost: mx.test\r\n\r\n");
    assertThat(c.read().toString()).isEqualTo("421 4.7.0 mx.test non-SMTP command, closing connection");
    assertThat(c.drain()).isEmpty();
  }

  @Test
  void mailParameters() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxMessageSize(1000)));
    TestClient c = ehlo(s);
    assertThat(c.cmd("MAIL FROM:<a@example.com> SIZE=1001").toString())
        .isEqualTo("552 5.3.4 message size exceeds fixed maximum message size");
    assertThat(c.cmd("MAIL FROM:<a@example.com> SIZE=x").code()).isEqualTo(501);
    assertThat(c.cmd("MAIL FROM:<a@example.com> BODY=9BIT").toString())
        .isEqualTo("501 5.5.4 BODY must be 7BIT, 8BITMIME or BINARYMIME");
    assertThat(c.cmd("MAIL FROM:<a@example.com> SMTPUTF8=yes").code()).isEqualTo(501);
    assertThat(c.cmd("MAIL FROM:<ü@example.com>").toString()).isEqualTo("553 5.6.7 non-ASCII address needs MAIL ... SMTPUTF8");
    assertThat(rec.calls).isEmpty();
    assertThat(c.cmd("MAIL FROM: <a@example.com> SIZE=1000 body=8bitmime RET=HDRS ENVID=abc AUTH=<> XFOO").code())
        .isEqualTo(250);
    assertThat(c.cmd("RCPT TO:<ü@example.com>").code()).isEqualTo(553);
    assertThat(c.cmd("RCPT TO:<b@example.com> NOTIFY=NEVER ORCPT=rfc822;b@example.com").code()).isEqualTo(250);
    c.cmd("DATA");
    c.cmd("x\r\n.");
    Recorder.Message m = rec.messages.get(0);
    assertThat(m.from().params()).containsExactly(new EsmtpParam("SIZE", "1000"), new EsmtpParam("BODY", "8BITMIME"),
        new EsmtpParam("RET", "HDRS"), new EsmtpParam("ENVID", "abc"), new EsmtpParam("XFOO", null));
    assertThat(m.rcpts().get(0).params()).containsExactly(new EsmtpParam("NOTIFY", "NEVER"),
        new EsmtpParam("ORCPT", "rfc822;b@example.com"));
  }

  @Test
  void smtputf8Addresses() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("MAIL FROM:<ünicode@例え.jp> SMTPUTF8").code()).isEqualTo(250);
    assertThat(c.cmd("RCPT TO:<用户@例子.广告>").code()).isEqualTo(250);
    c.cmd("DATA");
    assertThat(c.cmd("Subject: ü\r\n.").code()).isEqualTo(250);
    assertThat(rec.messages.get(0).from().address()).isEqualTo("ünicode@例え.jp");
    assertThat(rec.messages.get(0).from().params()).containsExactly(new EsmtpParam("SMTPUTF8", null));
    assertThat(rec.messages.get(0).rcpts().get(0).address()).isEqualTo("用户@例子.广告");
  }

  @Test
  void heloSessionsTakeNoParameters() throws IOException {
    SmtpServer s = start();
    TestClient c = client(s);
    c.cmd("HELO client.test");
    assertThat(c.cmd("MAIL FROM:<a@example.com> SIZE=10").toString()).isEqualTo("555 5.5.4 MAIL parameters need EHLO");
    assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
    c.send("BDAT 3 LAST\r\nabc");
    assertThat(c.read().toString()).isEqualTo("503 5.5.1 BDAT needs EHLO");
    assertThat(c.cmd("NOOP").code()).isEqualTo(250);
  }

  @Test
  void recipientLimit() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxRecipients(3)));
    TestClient c = ehlo(s);
    c.cmd("MAIL FROM:<a@example.com>");
    for (int i = 0; i < 3; i++) {
      assertThat(c.cmd("RCPT TO:<r" + i + "@example.com>").code()).isEqualTo(250);
    }
    assertThat(c.cmd("RCPT TO:<r3@example.com>").toString()).isEqualTo("452 4.5.3 too many recipients");
    c.cmd("DATA");
    assertThat(c.cmd(".").code()).isEqualTo(250);
    assertThat(rec.messages.get(0).rcpts()).hasSize(3);
    assertThat(rec.calls).doesNotContain("rcpt r3@example.com");
  }

  @Test
  void commandLineLimit() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("NOOP " + "x".repeat(505)).code()).isEqualTo(250); // 512 with CRLF
    assertThat(c.cmd("NOOP " + "x".repeat(506)).toString()).isEqualTo("500 5.5.2 line too long");
    assertThat(c.cmd("NOOP " + "x".repeat(20_000)).toString()).isEqualTo("500 5.5.2 line too long");
    assertThat(c.cmd("NOOP").code()).isEqualTo(250);
  }

  @Test
  void textLineLimitFailsTheMessageAtTheEnd() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read(3);
    c.send("ok\r\n" + "y".repeat(999) + "\r\nmore\r\n.\r\n");
    assertThat(c.read().toString()).isEqualTo("554 5.6.0 message refused: a line is longer than 1000 octets");
    assertThat(rec.dataCalls).hasValue(0);
    assertThat(rec.calls).endsWith("reset");
    assertThat(c.cmd("NOOP").code()).isEqualTo(250);
  }

  @Test
  void oversizedDataIsDrainedThenRefused() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxMessageSize(100)));
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read(3);
    c.send(("z".repeat(70) + "\r\n").repeat(100) + ".\r\nNOOP\r\n");
    assertThat(c.read().toString()).isEqualTo("552 5.3.4 message size exceeds fixed maximum message size");
    assertThat(c.read().code()).isEqualTo(250);
    assertThat(rec.dataCalls).hasValue(0);
  }

  @Test
  void tooManyErrorsCloses() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxErrors(3)));
    TestClient c = client(s);
    assertThat(c.cmd("FOO").code()).isEqualTo(500);
    assertThat(c.cmd("BAR").code()).isEqualTo(500);
    c.send("BAZ\r\n");
    assertThat(c.read().code()).isEqualTo(500);
    assertThat(c.read().toString()).isEqualTo("421 4.7.0 mx.test too many errors, closing connection");
    assertThat(c.closedByServer()).isTrue();
  }

  @Test
  void tooManyCommandsCloses() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxCommands(3)));
    TestClient c = client(s);
    c.send("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
    assertThat(c.read(4)).extracting(TestClient.Got::toString).containsExactly("250 2.0.0 ok", "250 2.0.0 ok",
        "250 2.0.0 ok", "421 4.7.0 mx.test too many commands, closing connection");
    assertThat(c.closedByServer()).isTrue();
  }

  @Test
  void idleTimeout() throws IOException {
    SmtpServer s = start(b -> b.timeouts(timeouts().withIdle(Duration.ofMillis(300))));
    TestClient c = ehlo(s);
    c.cmd("MAIL FROM:<a@example.com>");
    long t0 = System.nanoTime();
    assertThat(c.read().toString()).isEqualTo("421 4.4.2 mx.test idle timeout, closing connection");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
    assertThat(c.closedByServer()).isTrue();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(rec.calls).endsWith("reset"));
  }

  @Test
  void dataBlockTimeout() throws IOException {
    SmtpServer s = start(b -> b.timeouts(timeouts().withDataBlock(Duration.ofMillis(300))));
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read(3);
    c.send("partial line");
    assertThat(c.read().toString()).isEqualTo("421 4.4.2 mx.test timeout reading message data, closing connection");
    assertThat(c.closedByServer()).isTrue();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(rec.calls).endsWith("reset"));
    assertThat(rec.dataCalls).hasValue(0);
  }

  @Test
  void applicationTimeoutAnswers421AndInterruptsTheSession() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    rec.onRcpt = m -> {
      try {
        Thread.sleep(Duration.ofMinutes(5));
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
      return new Response(250, "too late");
    };
    SmtpServer s = start(b -> b.timeouts(timeouts().withCommand(Duration.ofMillis(300))));
    TestClient c = ehlo(s);
    c.cmd("MAIL FROM:<a@example.com>");
    assertThat(c.cmd("RCPT TO:<slow@example.com>").toString()).isEqualTo("421 4.4.2 mx.test timeout, closing connection");
    assertThat(c.closedByServer()).isTrue();
    assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(rec.calls).endsWith("reset"));
    await().atMost(Duration.ofSeconds(5)).until(() -> s.connectionCount() == 0);
  }

  @Test
  void clientThatStopsReadingIsDisconnected() throws Exception {
    SmtpServer s = start(b -> b.limits(limits().withMaxCommands(Integer.MAX_VALUE))
        .timeouts(timeouts().withCommand(Duration.ofMillis(300))));
    java.net.Socket sock = new java.net.Socket();
    sock.setReceiveBufferSize(4096);
    sock.connect(new InetSocketAddress("127.0.0.1", s.port()));
    byte[] noops = "NOOP\r\n".repeat(10_000).getBytes(StandardCharsets.US_ASCII);
    Thread writer = Thread.ofVirtual().start(() -> {
      try (sock) {
        while (true) {
          sock.getOutputStream().write(noops); // never reads a reply
        }
      } catch (IOException e) {
        // the server gave up on us
      }
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> s.connectionCount() == 0);
    writer.join(Duration.ofSeconds(10));
    assertThat(writer.isAlive()).isFalse();
  }

  @Test
  void sessionExceptionsBecome451AndReset() throws IOException {
    rec.onMail = (i, m) -> {
      throw new IllegalStateException("boom");
    };
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("MAIL FROM:<a@example.com>").toString()).isEqualTo("451 4.3.0 internal error");
    assertThat(rec.calls).containsExactly("mail a@example.com", "reset");
    rec.onMail = (i, m) -> new Response(250, "fine");
    assertThat(c.cmd("MAIL FROM:<a@example.com>").toString()).isEqualTo("250 2.1.0 fine");
    rec.onData = b -> {
      throw new IllegalStateException("boom");
    };
    c.cmd("RCPT TO:<b@example.com>");
    c.cmd("DATA");
    assertThat(c.cmd(".").toString()).isEqualTo("451 4.3.0 internal error");
    assertThat(rec.calls).endsWith("data", "reset");
  }

  @Test
  void rejectedMailIsResetBeforeTheNextOne() throws IOException {
    rec.onMail = (i, m) -> m.address().startsWith("bad") ? new Response(550, "no") : new Response(250, "ok");
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("MAIL FROM:<bad@example.com>").toString()).isEqualTo("550 5.1.0 no");
    assertThat(c.cmd("RCPT TO:<b@example.com>").toString()).isEqualTo("503 5.5.1 need MAIL command");
    assertThat(c.cmd("MAIL FROM:<good@example.com>").code()).isEqualTo(250);
    assertThat(rec.calls).containsExactly("mail bad@example.com", "reset", "mail good@example.com");
  }

  @Test
  void bdatChunks() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 7\r\nhello\r\n");
    assertThat(c.read(3)).extracting(TestClient.Got::toString).containsExactly("250 2.1.0 ok", "250 2.1.5 ok",
        "250 2.0.0 7 octets received");
    c.send("BDAT 10\r\n.\r\nworld\r\nBDAT 0 LAST\r\n");
    assertThat(c.read(2)).extracting(TestClient.Got::toString).containsExactly("250 2.0.0 10 octets received",
        "250 2.0.0 queued");
    assertThat(rec.messages.get(0).text()).isEqualTo("hello\r\n.\r\nworld\r\n");
    // a whole message in one LAST chunk, and an empty one
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 3 LAST\r\nx\r\n");
    assertThat(c.read(3)).extracting(TestClient.Got::code).containsExactly(250, 250, 250);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nbdat 0 last\r\n");
    assertThat(c.read(3)).extracting(TestClient.Got::code).containsExactly(250, 250, 250);
    assertThat(rec.messages).extracting(Recorder.Message::text).containsExactly("hello\r\n.\r\nworld\r\n", "x\r\n", "");
  }

  @Test
  void bdatErrorsStillConsumeTheChunk() throws IOException {
    rec.onRcpt = m -> new Response(550, "5.1.1 unknown");
    SmtpServer s = start();
    TestClient c = ehlo(s);
    c.send("BDAT 12\r\nMAIL FROM:\r\n"); // the 12 bytes must not run as a command
    assertThat(c.read().toString()).isEqualTo("503 5.5.1 need MAIL command");
    assertThat(c.cmd("NOOP").code()).isEqualTo(250);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 6 LAST\r\nRSET\r\nNOOP\r\n");
    assertThat(c.read(4)).extracting(TestClient.Got::toString).containsExactly("250 2.1.0 ok", "550 5.1.1 unknown",
        "554 5.5.1 no valid recipients", "250 2.0.0 ok");
    assertThat(rec.dataCalls).hasValue(0);
  }

  @Test
  void bdatAndDataDoNotMix() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 2\r\nab");
    c.read(3);
    assertThat(c.cmd("DATA").toString()).isEqualTo("503 5.5.1 DATA not allowed after BDAT");
    assertThat(c.cmd("RCPT TO:<c@example.com>").toString()).isEqualTo("503 5.5.1 RCPT not allowed after BDAT");
    c.send("BDAT 2 LAST\r\ncd");
    assertThat(c.read().code()).isEqualTo(250);
    assertThat(rec.messages.get(0).text()).isEqualTo("abcd");
    // BINARYMIME needs BDAT and keeps bare LFs
    c.cmd("MAIL FROM:<a@example.com> BODY=BINARYMIME");
    c.cmd("RCPT TO:<b@example.com>");
    assertThat(c.cmd("DATA").toString()).isEqualTo("503 5.5.1 BODY=BINARYMIME needs BDAT");
    c.send("BDAT 5 LAST\r\na\nb\r\u0000");
    assertThat(c.read().code()).isEqualTo(250);
    assertThat(rec.messages.get(1).body()).isEqualTo(new byte[] {'a', '\n', 'b', '\r', 0});
  }

  @Test
  void bdatSizeAndBareLf() throws IOException {
    SmtpServer s = start(b -> b.limits(limits().withMaxMessageSize(10)));
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 8\r\n12345678BDAT 8 LAST\r\n12345678NOOP\r\n");
    assertThat(c.read(5)).extracting(TestClient.Got::toString).containsExactly("250 2.1.0 ok", "250 2.1.5 ok",
        "250 2.0.0 8 octets received", "552 5.3.4 message size exceeds fixed maximum message size", "250 2.0.0 ok");
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 4\r\na\nb!BDAT 1 LAST\r\nx");
    assertThat(c.read(4)).extracting(TestClient.Got::code).containsExactly(250, 250, 554, 503);
    assertThat(rec.dataCalls).hasValue(0);
  }

  @Test
  void bdatWithoutASizeCloses() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    assertThat(c.cmd("BDAT lots").toString()).isEqualTo("501 5.5.4 syntax: BDAT <size> [LAST]; closing connection");
    assertThat(c.closedByServer()).isTrue();
  }

  @Test
  void largeMessagesAreSpooledToDiskAndDeleted() throws IOException {
    Path spool = Files.createDirectory(tmp.resolve("spool"));
    SmtpServer s = start(b -> b.limits(limits().withSpoolMemory(4096)).spoolDir(spool));
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read(3);
    String line = "0123456789".repeat(9) + "\r\n";
    c.send(line.repeat(2000) + ".\r\n");
    assertThat(c.read().code()).isEqualTo(250);
    assertThat(rec.messages.get(0).onDisk()).isTrue();
    assertThat(rec.messages.get(0).text()).isEqualTo(line.repeat(2000));
    try (var files = Files.list(spool)) {
      assertThat(files.toList()).isEmpty();
    }
  }

  @Test
  void closeEndsConnectionsAndResetsSessions() throws IOException {
    SmtpServer s = start();
    TestClient c = ehlo(s);
    c.cmd("MAIL FROM:<a@example.com>");
    int port = s.port();
    s.close();
    assertThat(c.closedByServer()).isTrue();
    assertThat(rec.calls).containsExactly("mail a@example.com", "reset");
    assertThat(s.connectionCount()).isZero();
    try (java.net.Socket probe = new java.net.Socket()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> probe.connect(new InetSocketAddress("127.0.0.1", port), 1000))
          .isInstanceOf(ConnectException.class);
    }
  }

  @Test
  void sessionFactoryFailureRefusesTheConnection() throws IOException {
    SmtpServer s = new SmtpServer(ListenerConfig.builder(info -> {
      throw new IllegalStateException("down");
    }).port(0).hostname("mx.test").build());
    s.start();
    try (TestClient c = TestClient.connect(s.port())) {
      assertThat(c.read().toString()).isEqualTo("421 4.3.0 mx.test service not available, closing connection");
      assertThat(c.closedByServer()).isTrue();
    } finally {
      s.close();
    }
  }

  @Test
  void configValidation() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ListenerConfig.builder(rec).smtps(true).build())
        .hasMessageContaining("smtps needs a TLS context");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ListenerConfig.builder(rec)
        .auth(new AuthSecrets(java.util.Map.of())).build()).hasMessageContaining("auth needs a TLS context");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> limits().withMaxCommandLine(100))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ListenerConfig.builder(rec).hostname("a b").build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(List.of(limits().maxMessageSize(), (long) limits().maxRecipients(), (long) limits().maxCommandLine(),
        (long) limits().maxTextLine())).containsExactly(32L << 20, 100L, 512L, 1000L);
    assertThat(new String("x".getBytes(StandardCharsets.US_ASCII), StandardCharsets.US_ASCII)).isEqualTo("x");
  }
}
