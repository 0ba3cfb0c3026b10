package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STARTTLS (with the plaintext-injection case), SMTPS, and AUTH PLAIN/LOGIN only over TLS. */
class TlsAuthTest extends ServerFixture {
  static final String SECRET = "k7Qd0b6cZ3vKp1sXo9aF2uLw8mNe4tYr5iHj0gBqVzU";
  static final Duration DELAY = Duration.ofMillis(400);
  @TempDir static Path dir;
  static TestTls certs;
  static SSLContext serverCtx;
  static SSLContext clientCtx;

  @BeforeAll
  static void certificates() throws Exception {
    certs = TestTls.rsa(dir);
    serverCtx = certs.server();
    clientCtx = certs.client();
  }

  SmtpServer tlsServer() throws IOException {
    return start(b -> b.tls(serverCtx).auth(new AuthSecrets(Map.of("alice", AuthSecrets.sha256Hex(SECRET))))
        .timeouts(timeouts().withAuthFailureDelay(DELAY)));
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void authIsOfferedAndAcceptedOnlyOverTls() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = client(s);
    TestClient.Got ehlo = c.cmd("EHLO client.test");
    assertThat(ehlo.lines()).contains("STARTTLS").noneMatch(l -> l.startsWith("AUTH"));
    assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + SECRET)).toString())
        .isEqualTo("538 5.7.11 encryption required for requested authentication mechanism");
    c.startTls(clientCtx);
    assertThat(c.cmd("MAIL FROM:<a@example.com>").toString()).isEqualTo("503 5.5.1 send EHLO/HELO first");
    assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + SECRET)).toString()).isEqualTo("503 5.5.1 send EHLO first");
    ehlo = c.cmd("EHLO client.test");
    assertThat(ehlo.lines()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
    assertThat(c.cmd("STARTTLS").toString()).isEqualTo("503 5.5.1 TLS already active");
    assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + SECRET)).toString()).isEqualTo("235 2.7.0 authentication successful");
    assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + SECRET)).toString()).isEqualTo("503 5.5.1 already authenticated");
    c.cmd("MAIL FROM:<alice@example.com>");
    c.cmd("RCPT TO:<bob@example.com>");
    c.cmd("DATA");
    assertThat(c.cmd("secret stuff\r\n.").code()).isEqualTo(250);
    SessionInfo info = rec.messages.get(0).info();
    assertThat(info.tls()).isTrue();
    assertThat(info.authUser()).isEqualTo("alice");
    assertThat(info.heloName()).isEqualTo("client.test");
  }

  @Test
  void plainWithContinuationAndLogin() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = client(s);
    c.cmd("EHLO x");
    c.startTls(clientCtx);
    c.cmd("EHLO x");
    assertThat(c.cmd("AUTH PLAIN").toString()).isEqualTo("334 ");
    assertThat(c.cmd(b64("alice\0alice\0" + SECRET)).code()).isEqualTo(235);

    TestClient d = client(s);
    d.cmd("EHLO x");
    d.startTls(clientCtx);
    d.cmd("EHLO x");
    assertThat(d.cmd("AUTH LOGIN").toString()).isEqualTo("334 VXNlcm5hbWU6");
    assertThat(d.cmd(b64("alice")).toString()).isEqualTo("334 UGFzc3dvcmQ6");
    assertThat(d.cmd(b64(SECRET)).code()).isEqualTo(235);

    TestClient e = client(s);
    e.cmd("EHLO x");
    e.startTls(clientCtx);
    e.cmd("EHLO x");
    assertThat(e.cmd("AUTH LOGIN " + b64("alice")).toString()).isEqualTo("334 UGFzc3dvcmQ6");
    assertThat(e.cmd("*").toString()).isEqualTo("501 5.7.0 authentication cancelled");
    assertThat(e.cmd("AUTH PLAIN !!!").toString()).isEqualTo("501 5.5.2 invalid base64");
    assertThat(e.cmd("AUTH CRAM-MD5").toString()).isEqualTo("504 5.5.4 unrecognized authentication mechanism");
  }

  @Test
  void wrongCredentialsAreRefusedAfterTheDelay() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = client(s);
    c.cmd("EHLO x");
    c.startTls(clientCtx);
    c.cmd("EHLO x");
    for (String attempt : new String[] {"\0alice\0wrong", "\0mallory\0" + SECRET, "bob\0alice\0" + SECRET}) {
      long t0 = System.nanoTime();
      assertThat(c.cmd("AUTH PLAIN " + b64(attempt)).toString()).isEqualTo("535 5.7.8 authentication credentials invalid");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(DELAY);
    }
    c.cmd("MAIL FROM:<a@example.com>");
    assertThat(rec.calls).isNotEmpty();
    c.cmd("RCPT TO:<b@example.com>");
    c.cmd("DATA");
    c.cmd(".");
    assertThat(rec.messages.get(0).info().authUser()).isNull();
  }

  @Test
  void plaintextPipelinedAfterStarttlsIsDiscarded() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = client(s);
    c.cmd("EHLO x");
    // the attacker's bytes arrive with the STARTTLS, in the same TCP segment
    c.send("STARTTLS\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.com>\r\n");
    assertThat(c.read().toString()).isEqualTo("220 2.0.0 ready to start TLS");
    c.handshake(clientCtx);
    // the first reply over TLS is the EHLO's: nothing injected was answered or executed
    TestClient.Got ehlo = c.cmd("EHLO x");
    assertThat(ehlo.code()).isEqualTo(250);
    assertThat(ehlo.lines().get(0)).isEqualTo("mx.test");
    assertThat(c.cmd("NOOP").toString()).isEqualTo("250 2.0.0 ok");
    assertThat(rec.calls).isEmpty();
    assertThat(c.cmd("MAIL FROM:<a@example.com>").code()).isEqualTo(250);
    assertThat(rec.calls).containsExactly("mail a@example.com");
  }

  @Test
  void startTlsRefusedDuringATransaction() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = ehlo(s);
    c.cmd("MAIL FROM:<a@example.com>");
    assertThat(c.cmd("STARTTLS").toString()).isEqualTo("503 5.5.1 STARTTLS not allowed during a mail transaction");
    assertThat(c.cmd("STARTTLS now").code()).isEqualTo(501);
  }

  @Test
  void failedHandshakeClosesTheConnection() throws Exception {
    SmtpServer s = tlsServer();
    TestClient c = client(s);
    c.cmd("EHLO x");
    assertThat(c.cmd("STARTTLS").code()).isEqualTo(220);
    c.send("this is not a TLS ClientHello\r\n");
    assertThat(c.drain()).as("at most a TLS alert, then the close").doesNotContain("250");
    assertThat(rec.calls).isEmpty();
  }

  @Test
  void smtpsListener() throws Exception {
    SmtpServer s = start(b -> b.tls(serverCtx).smtps(true)
        .auth(new AuthSecrets(Map.of("alice", AuthSecrets.sha256Hex(SECRET)))));
    Socket raw = new Socket("127.0.0.1", s.port());
    raw.setSoTimeout(10_000);
    try (TestClient c = new TestClient(raw)) {
      c.handshake(clientCtx);
      assertThat(((SSLSocket) c.socket()).getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
      assertThat(c.read().toString()).isEqualTo("220 mx.test ESMTP koukan");
      TestClient.Got ehlo = c.cmd("EHLO x");
      assertThat(ehlo.lines()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
      assertThat(c.cmd("AUTH PLAIN " + b64("\0alice\0" + SECRET)).code()).isEqualTo(235);
      c.cmd("MAIL FROM:<a@example.com>");
      c.cmd("RCPT TO:<b@example.com>");
      c.cmd("DATA");
      assertThat(c.cmd("over smtps\r\n.").code()).isEqualTo(250);
      assertThat(c.cmd("QUIT").code()).isEqualTo(221);
    }
    assertThat(rec.opened.get(0).tls()).isTrue();
    assertThat(rec.messages.get(0).info().authUser()).isEqualTo("alice");
  }

  @Test
  void tls11IsRefused() throws Exception {
    SmtpServer s = start(b -> b.tls(serverCtx).smtps(true));
    Socket raw = new Socket("127.0.0.1", s.port());
    raw.setSoTimeout(10_000);
    SSLSocket ssl = (SSLSocket) clientCtx.getSocketFactory().createSocket(raw, "localhost", s.port(), true);
    ssl.setUseClientMode(true);
    ssl.setEnabledProtocols(new String[] {"TLSv1.1"});
    try (ssl) {
      org.assertj.core.api.Assertions.assertThatThrownBy(ssl::startHandshake).isInstanceOf(IOException.class);
    }
  }
}
