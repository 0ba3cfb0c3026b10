package net.koukan.smtpclient;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** SSL contexts for STARTTLS. */
public final class Tls {
  private Tls() {}

  /** TLS 1.2 and newer only. */
  static String[] protocols(String[] supported) {
    List<String> out = new ArrayList<>();
    for (String p : supported) {
      if (p.equals("TLSv1.3") || p.equals("TLSv1.2")) {
        out.add(p);
      }
    }
    return out.toArray(String[]::new);
  }

  /**
   * The context for {@code mode}: OPPORTUNISTIC trusts any certificate; VERIFY trusts the CA
   * certificates of {@code caFile} (PEM), or the JDK's default trust store when null.
   */
  public static SSLContext context(SmtpClientConfig.TlsMode mode, Path caFile) {
    try {
      return switch (mode) {
        case NONE -> null;
        case OPPORTUNISTIC -> {
          SSLContext ctx = SSLContext.getInstance("TLS");
          ctx.init(null, new TrustManager[] {new TrustAll()}, null);
          yield ctx;
        }
        case VERIFY -> caFile == null ? SSLContext.getDefault() : fromPem(caFile);
      };
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static SSLContext fromPem(Path pem) throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    try (InputStream in = Files.newInputStream(pem)) {
      ks.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      if (i == 0) {
        throw new GeneralSecurityException("no certificate in " + pem);
      }
    } catch (IOException e) {
      throw new GeneralSecurityException("cannot read " + pem + ": " + e.getMessage(), e);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Accepts any certificate for any name (an extended manager also skips the host check). */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket s) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine e) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
