package net.koukan.smtp;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for localhost/127.0.0.1 made with the JDK's keytool and written out
 * as PEM (certificate + PKCS#8 key), plus a client context that trusts exactly it. Other key
 * formats come from {@link #convertKey} (openssl).
 */
final class TestTls {
  private static final char[] PASS = "changeit".toCharArray();
  final Path cert;
  final Path key;

  private TestTls(Path cert, Path key) {
    this.cert = cert;
    this.key = key;
  }

  /** RSA 2048. */
  static TestTls rsa(Path dir) throws Exception {
    return make(dir, "rsa", List.of("-keyalg", "RSA", "-keysize", "2048"));
  }

  /** EC P-256. */
  static TestTls ec(Path dir) throws Exception {
    return make(dir, "ec", List.of("-keyalg", "EC", "-groupname", "secp256r1"));
  }

  private static TestTls make(Path dir, String name, List<String> keyArgs) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path store = dir.resolve(name + ".p12");
    List<String> cmd = new ArrayList<>(List.of(keytool.toString(), "-genkeypair", "-alias", "server"));
    cmd.addAll(keyArgs);
    cmd.addAll(List.of("-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit"));
    Peers.Result r = Peers.run(Duration.ofSeconds(60), dir, cmd);
    if (r.exit() != 0) {
      throw new AssertionError("keytool failed: " + r.output());
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASS);
    }
    Path cert = dir.resolve(name + "-cert.pem");
    Path key = dir.resolve(name + "-key.pem");
    Files.writeString(cert, pem("CERTIFICATE", ks.getCertificate("server").getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(key, pem("PRIVATE KEY", ks.getKey("server", PASS).getEncoded()), StandardCharsets.US_ASCII);
    return new TestTls(cert, key);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Converts the key with openssl (e.g. {@code "rsa", "-traditional"} for PKCS#1). */
  Path convertKey(Path dir, String name, List<String> args) throws Exception {
    Path openssl = Peers.require("/usr/bin/openssl");
    Path out = dir.resolve(name);
    List<String> cmd = new ArrayList<>(List.of(openssl.toString()));
    cmd.addAll(args);
    cmd.addAll(List.of("-in", key.toString(), "-out", out.toString()));
    Peers.Result r = Peers.run(Duration.ofSeconds(60), dir, cmd);
    if (r.exit() != 0) {
      throw new AssertionError("openssl failed: " + r.output());
    }
    return out;
  }

  SSLContext server() throws Exception {
    return Tls.serverContext(cert, key);
  }

  SSLContext client() throws Exception {
    KeyStore ts = KeyStore.getInstance("PKCS12");
    ts.load(null, null);
    ts.setCertificateEntry("server", Tls.readCertificates(cert).get(0));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ts);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
