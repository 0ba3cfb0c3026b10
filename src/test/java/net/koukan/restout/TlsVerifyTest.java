package net.koukan.restout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.FilterTx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code verify}: the JDK trust store by default, a PEM CA file (host names still checked), or
 * nothing at all. The upstream is an HTTPS server with a self-signed certificate (made with the
 * JDK's keytool) that answers 500 to everything, so "the handshake worked" shows as HTTP 500.
 */
class TlsVerifyTest {
  @TempDir static Path dir;
  HttpsServer server;

  @BeforeAll
  static void certificates() throws Exception {
    certificate("right", "ip:127.0.0.1");
    certificate("wrong", "dns:wrong.example");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  /** A self-signed certificate for {@code san}; returns its PEM file, the key store is {@code name}.p12. */
  static Path certificate(String name, String san) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    Path pem = dir.resolve(name + ".pem");
    keytool("-genkeypair", "-alias", "s", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "san=" + san, "-validity", "2",
        "-keystore", ks.toString(), "-storepass", "changeit", "-storetype", "PKCS12");
    keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", ks.toString(),
        "-storepass", "changeit", "-file", pem.toString());
    return pem;
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("keytool failed: " + out);
    }
  }

  String serve(String name) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
    server.setHttpsConfigurator(new HttpsConfigurator(ctx));
    server.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    server.start();
    return "https://127.0.0.1:" + server.getAddress().getPort() + "/senders/router/transactions";
  }

  @ParameterizedTest(name = "{0} certificate, verify {1}")
  @CsvSource({
      "right, default, 4.7.5, PKIX",                  // self-signed: not in the JDK's trust store
      "right, pem, 4.3.0, answered HTTP 500",         // trusted through the CA file: handshake works
      "wrong, pem, 4.7.5, subject alternative",       // trusted issuer, wrong host name: refused
      "wrong, false, 4.3.0, answered HTTP 500"})      // no checks at all
  void verifyOption(String cert, String verify, String status, String detail) throws Exception {
    Path pem = dir.resolve(cert + ".pem");
    String endpoint = serve(cert);
    ObjectNode o = RestOutputFilterTest.json("{\"rcpt_timeout\": 5}");
    o.put("static_endpoint", endpoint);
    o.put("connect_timeout", 5);
    switch (verify) {
      case "pem" -> o.put("verify", pem.getFileName().toString()); // relative to the config file
      case "false" -> o.put("verify", false);
      default -> { }
    }
    Chain chain = new Chain(List.of(new RestOutputFactory().prepare(new net.koukan.config.FilterStanza(
        "rest_output", o, dir.resolve("router.yaml").toString(), 1)).get()));
    FilterTx tx = RestOutputFilterTest.tx("bob@example.com");
    tx.body(new Body.Raw(BlobSource.of(new byte[10])));
    chain.update(tx, RestOutputFilterTest.everything(tx));
    chain.close();
    assertThat(tx.mailResponse().message()).startsWith(status + " rest_output: ").contains(detail);
  }
}
