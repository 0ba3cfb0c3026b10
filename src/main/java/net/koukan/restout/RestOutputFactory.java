package net.koukan.restout;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.config.Origin;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;

/**
 * {@code filter: rest_output} (options: {@link RestOutputOptions}). One HTTP/1.1 client per stanza
 * (connection pool shared by its attempts, redirects handled by {@link UpstreamHttp}), a new
 * {@link RestOutputFilter} per attempt.
 */
public final class RestOutputFactory implements FilterFactory {
  public static final String NAME = "rest_output";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Supplier<Filter> prepare(FilterStanza stanza) {
    RestOutputOptions o = stanza.bind(RestOutputOptions.class);
    if (o.staticEndpoint() != null) {
      checkEndpoint(o.staticEndpoint(), stanza.origin().child("static_endpoint"));
    }
    HttpClient client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(o.connectTimeout().isZero() ? java.time.Duration.ofSeconds(10) : o.connectTimeout())
        .sslContext(sslContext(o.verify(), stanza))
        .executor(Executors.newVirtualThreadPerTaskExecutor())
        .build();
    UpstreamHttp http = new UpstreamHttp(client);
    return () -> new RestOutputFilter(o, http);
  }

  private static void checkEndpoint(String endpoint, Origin where) {
    if (RestOutputFilter.httpUri(endpoint) != null) {
      return;
    }
    throw new ConfigException(where.file(), where.line(), where.column(), where.keyPath(),
        "must be an absolute http(s) URL of .../senders/<name>/transactions");
  }

  /** {@code verify}: absent/true = the JDK trust store, false = no checks, a string = a PEM CA file. */
  static SSLContext sslContext(JsonNode verify, FilterStanza stanza) {
    Origin where = stanza.origin().child("verify");
    try {
      if (verify == null || (verify.isBoolean() && verify.booleanValue())) {
        return SSLContext.getDefault();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      if (verify.isBoolean()) {
        ctx.init(null, new TrustManager[] {new TrustAll()}, null);
        return ctx;
      }
      if (!verify.isTextual()) {
        throw new ConfigException(where.file(), where.line(), where.column(), where.keyPath(),
            "must be true, false or the path of a PEM file of CA certificates");
      }
      Path pem = Path.of(verify.asText());
      Path dir = Path.of(stanza.file()).toAbsolutePath().getParent();
      if (!pem.isAbsolute() && dir != null) {
        pem = dir.resolve(pem);
      }
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      try (InputStream in = Files.newInputStream(pem)) {
        int i = 0;
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          ks.setCertificateEntry("ca" + i++, c);
        }
        if (i == 0) {
          throw new GeneralSecurityException("no certificate in " + pem);
        }
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(where.file(), where.line(), where.column(), where.keyPath(),
          "cannot load CA certificates: " + e.getMessage(), e);
    }
  }

  /** {@code verify: false}: accepts any certificate for any name (an extended manager skips the host check). */
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
