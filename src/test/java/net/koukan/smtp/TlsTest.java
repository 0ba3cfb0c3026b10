package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.io.IOException;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM loading in every key format openssl writes, key/cert mismatch, TLS 1.2+ only. */
class TlsTest {
  @TempDir Path dir;

  @Test
  void rsaPkcs8AndPkcs1() throws Exception {
    TestTls t = TestTls.rsa(dir);
    assertThat(Files.readString(t.key)).contains("BEGIN PRIVATE KEY");
    assertThat(Tls.serverContext(t.cert, t.key)).isNotNull();
    Path pkcs1 = t.convertKey(dir, "rsa1.pem", List.of("rsa", "-traditional"));
    assertThat(Files.readString(pkcs1)).contains("BEGIN RSA PRIVATE KEY");
    assertThat(Tls.readPrivateKey(pkcs1).getAlgorithm()).isEqualTo("RSA");
    handshakes(Tls.serverContext(t.cert, pkcs1), t.client());
  }

  @Test
  void ecPkcs8AndSec1() throws Exception {
    TestTls t = TestTls.ec(dir);
    handshakes(Tls.serverContext(t.cert, t.key), t.client());
    Path sec1 = t.convertKey(dir, "ec1.pem", List.of("ec"));
    assertThat(Files.readString(sec1)).contains("BEGIN EC PRIVATE KEY");
    assertThat(Tls.readPrivateKey(sec1).getAlgorithm()).isEqualTo("EC");
    handshakes(Tls.serverContext(t.cert, sec1), t.client());
  }

  @Test
  void chainFileWithSeveralCertificates() throws Exception {
    TestTls a = TestTls.rsa(dir);
    Path other = Files.createDirectory(dir.resolve("other"));
    TestTls b = TestTls.ec(other);
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, Files.readString(a.cert) + Files.readString(b.cert));
    assertThat(Tls.readCertificates(chain)).hasSize(2);
    assertThat(Tls.serverContext(chain, a.key)).isNotNull();
  }

  @Test
  void refusesMismatchedAndEncryptedKeys() throws Exception {
    TestTls a = TestTls.rsa(dir);
    Path other = Files.createDirectory(dir.resolve("other"));
    TestTls b = TestTls.rsa(other);
    assertThatThrownBy(() -> Tls.serverContext(a.cert, b.key)).isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("does not match");
    Path enc = a.convertKey(dir, "enc.pem", List.of("pkcs8", "-topk8", "-passout", "pass:x"));
    assertThatThrownBy(() -> Tls.readPrivateKey(enc)).isInstanceOf(IOException.class).hasMessageContaining("encrypted");
    assertThatThrownBy(() -> Tls.readPrivateKey(a.cert)).isInstanceOf(IOException.class);
  }

  @Test
  void onlyTls12And13() throws Exception {
    TestTls t = TestTls.rsa(dir);
    try (SSLSocket s = (SSLSocket) t.server().getSocketFactory().createSocket()) {
      Tls.restrictProtocols(s);
      assertThat(s.getEnabledProtocols()).containsExactly("TLSv1.3", "TLSv1.2");
    }
  }

  /** A real handshake over loopback with the client trusting only this certificate. */
  static void handshakes(SSLContext server, SSLContext client) throws Exception {
    try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1,
        java.net.InetAddress.getLoopbackAddress())) {
      Thread t = Thread.ofVirtual().start(() -> {
        try (SSLSocket s = (SSLSocket) ss.accept()) {
          s.startHandshake();
          s.getOutputStream().write(42);
          s.getOutputStream().flush();
        } catch (IOException e) {
          // the client side reports
        }
      });
      try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
        c.setSoTimeout(10_000);
        c.startHandshake();
        assertThat(c.getInputStream().read()).isEqualTo(42);
        assertThat(c.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
      }
      t.join();
    }
  }
}
