package net.koukan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import net.koukan.config.ConfigException;
import net.koukan.config.GatewayConfig;
import net.koukan.config.RouterConfig;
import net.koukan.gateway.GatewayService;
import net.koukan.gateway.GatewayTest;
import net.koukan.router.RouterService;
import net.koukan.testing.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rest_listener.cert}/{@code key}: the router's and the gateway's REST listeners serve
 * HTTPS only, and the gateway reaches the router over it, checking the certificate against the
 * PEM file named by {@code rest_output.verify}. Paths are relative to each config file.
 */
class RestTlsTest {
  @TempDir Path dir;

  @Test
  void routerAndGatewayTalkHttpsWithTheConfiguredCertificate() throws Exception {
    SelfSignedTls.ensure(dir.resolve("tls"));
    int port = Ports.free();
    int gwRest = Ports.free();
    int mx = Ports.free();
    Path routerYaml = dir.resolve("router.yaml");
    Files.writeString(routerYaml, """
        global: {mailer_daemon_mailbox: mailer-daemon@example.com}
        rest_listener:
          addr: ["127.0.0.1", %PORT%]
          cert: tls/cert.pem
          key: tls/key.pem
          session_uri: "https://127.0.0.1:%PORT%"
        sender:
        - name: ingress
          output_chain: local
          tag:
          - {name: smtp-mx, output_chain: mx_exploder, upstream_tag: smtp-mx-upstream}
          - {name: smtp-mx-upstream}
        endpoint:
        - name: local
          chain:
          - {filter: maildir, path: "%DIR%/mail", domains: [example.com]}
        - name: mx_exploder
          chain:
          - {filter: exploder, msa: false}
        storage: {url: "jdbc:sqlite:%DIR%/router.db"}
        """.replace("%PORT%", "" + port).replace("%DIR%", dir.toString()));
    Path gatewayYaml = dir.resolve("gateway.yaml");
    Files.writeString(gatewayYaml, """
        rest_listener:
          addr: ["127.0.0.1", %GWREST%]
          cert: tls/cert.pem
          key: tls/key.pem
          session_uri: "https://127.0.0.1:%GWREST%"
        smtp_listener:
          services:
          - {addr: ["127.0.0.1", %MX%], endpoint: router, sender: ingress, tag: smtp-mx}
        rest_output:
        - name: router
          endpoint: "https://127.0.0.1:%PORT%/senders/ingress/transactions"
          verify: tls/cert.pem
        """.replace("%PORT%", "" + port).replace("%GWREST%", "" + gwRest).replace("%MX%", "" + mx));
    try (RouterService router = new RouterService(RouterConfig.load(routerYaml), Clock.systemUTC(),
            routerYaml).start();
        GatewayService gateway = new GatewayService(GatewayConfig.load(gatewayYaml),
            Clock.systemUTC(), gatewayYaml).start()) {
      HttpClient https = HttpClient.newBuilder().sslContext(trusting(dir.resolve("tls/cert.pem")))
          .connectTimeout(Duration.ofSeconds(5)).build();
      for (int p : new int[] {port, gwRest}) {
        HttpResponse<String> health = https.send(HttpRequest.newBuilder(
            URI.create("https://127.0.0.1:" + p + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        // the listener speaks TLS only
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + p + "/healthz")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
      }
      // SMTP in at the gateway, over HTTPS to the router, into the Maildir
      String out = GatewayTest.swaks("--server", "127.0.0.1:" + mx, "--from", "alice@peer.test",
          "--to", "bob@example.com", "--header", "Subject: over https");
      assertThat(out).contains("<-  250 2.0.0 delivered to maildir");
      try (var files = Files.list(dir.resolve("mail/bob/new"))) {
        assertThat(Files.readString(files.findFirst().orElseThrow())).contains("Subject: over https");
      }
    }
  }

  @Test
  void anUnreadableCertificateIsAStartUpErrorNamingTheKey() throws Exception {
    int port = Ports.free();
    Path routerYaml = dir.resolve("router.yaml");
    Files.writeString(routerYaml, """
        rest_listener:
          addr: ["127.0.0.1", %PORT%]
          cert: missing/cert.pem
          key: missing/key.pem
          session_uri: "https://127.0.0.1:%PORT%"
        storage: {url: "jdbc:sqlite:%DIR%/router.db"}
        """.replace("%PORT%", "" + port).replace("%DIR%", dir.toString()));
    assertThatThrownBy(() -> new RouterService(RouterConfig.load(routerYaml), Clock.systemUTC(),
        routerYaml).start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("router.yaml")
        .hasMessageContaining("rest_listener.cert")
        .hasMessageContaining("missing/cert.pem");
    assertThatThrownBy(() -> GatewayConfig.parse("""
        rest_listener:
          addr: ["127.0.0.1", 1]
          cert: tls/cert.pem
          session_uri: "https://127.0.0.1:1"
        """, "gateway.yaml"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("rest_listener.cert: cert and key must be given together");
  }

  static SSLContext trusting(Path pem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
