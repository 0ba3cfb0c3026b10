package net.koukan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The certificate of {@code ./koukan run}: generated once (self-signed, EC P-256, for localhost
 * and 127.0.0.1) with the JDK's keytool and kept as PEM under {@code var/tls/}, so that STARTTLS
 * and AUTH work out of the box. Real deployments configure their own cert and key.
 */
final class SelfSignedTls {
  private SelfSignedTls() {}

  /** Makes {@code dir/cert.pem} and {@code dir/key.pem} unless both exist. */
  static void ensure(Path dir) throws IOException, GeneralSecurityException, InterruptedException {
    Path cert = dir.resolve("cert.pem");
    Path key = dir.resolve("key.pem");
    if (Files.exists(cert) && Files.exists(key)) {
      return;
    }
    Files.createDirectories(dir);
    byte[] pw = new byte[18];
    new SecureRandom().nextBytes(pw);
    String pass = HexFormat.of().formatHex(pw);
    Path p12 = dir.resolve("selfsigned-" + ProcessHandle.current().pid() + ".p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "koukan",
        "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "825",
        "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", pass, "-keypass", pass)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out.strip());
    }
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(p12)) {
        ks.load(in, pass.toCharArray());
      }
      PrivateKey pk = (PrivateKey) ks.getKey("koukan", pass.toCharArray());
      Certificate c = ks.getCertificate("koukan");
      Path keyTmp = dir.resolve("key.pem.tmp");
      Files.writeString(keyTmp, pem("PRIVATE KEY", pk.getEncoded()));
      try {
        Files.setPosixFilePermissions(keyTmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.writeString(cert, pem("CERTIFICATE", c.getEncoded()));
      Files.move(keyTmp, key, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(p12);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
