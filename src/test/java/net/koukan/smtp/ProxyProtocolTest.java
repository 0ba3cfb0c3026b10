package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PROXY header on a listener: addresses reach the session; malformed or slow headers close. */
class ProxyProtocolTest extends ServerFixture {
  @TempDir Path dir;

  SmtpServer proxied() throws IOException {
    return start(b -> b.proxyProtocol(true).timeouts(timeouts().withProxyHeader(Duration.ofMillis(500))));
  }

  void deliver(TestClient c) throws IOException {
    assertThat(c.read().code()).isEqualTo(220);
    c.cmd("EHLO x");
    c.cmd("MAIL FROM:<a@example.com>");
    c.cmd("RCPT TO:<b@example.com>");
    c.cmd("DATA");
    assertThat(c.cmd(".").code()).isEqualTo(250);
  }

  @Test
  void v1AddressesReachTheSession() throws IOException {
    SmtpServer s = proxied();
    try (TestClient c = TestClient.connect(s.port())) {
      c.send("PROXY TCP4 192.0.2.7 198.51.100.9 4242 25\r\n");
      deliver(c);
    }
    assertThat(rec.opened.get(0).remote()).isEqualTo(new InetSocketAddress("192.0.2.7", 4242));
    assertThat(rec.messages.get(0).info().local()).isEqualTo(new InetSocketAddress("198.51.100.9", 25));
  }

  @Test
  void v2AddressesReachTheSession() throws IOException {
    SmtpServer s = proxied();
    try (TestClient c = TestClient.connect(s.port())) {
      c.send(ProxyHeaderTest.v2(0x21, 0x11, new byte[] {(byte) 203, 0, 113, 5, 10, 0, 0, 1, 0x30, 0x39, 0x02, 0x4b}));
      deliver(c);
    }
    assertThat(rec.messages.get(0).info().remote()).isEqualTo(new InetSocketAddress("203.0.113.5", 12345));
    assertThat(rec.messages.get(0).info().local()).isEqualTo(new InetSocketAddress("10.0.0.1", 587));
  }

  @Test
  void localCommandKeepsTheSocketAddresses() throws IOException {
    SmtpServer s = proxied();
    try (TestClient c = TestClient.connect(s.port())) {
      c.send(ProxyHeaderTest.v2(0x20, 0x00, new byte[0]));
      deliver(c);
    }
    assertThat(rec.opened.get(0).remote().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void malformedOrMissingHeaderClosesWithoutGreeting() throws Exception {
    SmtpServer s = proxied();
    try (TestClient c = TestClient.connect(s.port())) {
      c.send("EHLO x\r\n");
      assertThat(c.drain()).isEmpty();
    }
    try (TestClient c = TestClient.connect(s.port())) {
      c.send("PROXY TCP4 300.1.1.1 1.1.1.1 1 2\r\n");
      assertThat(c.drain()).isEmpty();
    }
    try (TestClient c = TestClient.connect(s.port())) { // says nothing: closed after the header timeout
      long t0 = System.nanoTime();
      assertThat(c.drain()).isEmpty();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    }
    assertThat(rec.opened).isEmpty();
  }

  @Test
  void withoutTheOptionAProxyLineIsJustAnUnknownCommand() throws Exception {
    SmtpServer s = start();
    try (TestClient c = TestClient.open(s.port())) {
      assertThat(c.cmd("PROXY TCP4 192.0.2.7 198.51.100.9 4242 25").toString()).isEqualTo("500 5.5.2 command not recognized");
    }
  }

  @Test
  void proxyHeaderBeforeImplicitTls() throws Exception {
    TestTls certs = TestTls.rsa(dir);
    javax.net.ssl.SSLContext ctx = certs.server();
    SmtpServer s = start(b -> b.proxyProtocol(true).tls(ctx).smtps(true));
    Socket raw = new Socket("127.0.0.1", s.port());
    raw.setSoTimeout(10_000);
    try (TestClient c = new TestClient(raw)) {
      c.send("PROXY TCP6 2001:db8::5 2001:db8::1 5555 465\r\n");
      c.handshake(certs.client());
      deliver(c);
    }
    assertThat(rec.messages.get(0).info().remote()).isEqualTo(new InetSocketAddress("2001:db8::5", 5555));
    assertThat(rec.messages.get(0).info().tls()).isTrue();
  }
}
