package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.deliver;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * STARTTLS against a scripted peer with self-signed certificates made by the JDK's keytool:
 * the upgrade (EHLO again, everything after it encrypted), {@code tls: none}, a refused STARTTLS,
 * data smuggled in before the handshake, and {@code tls: verify} (CA file, host name, missing
 * STARTTLS).
 */
class StartTlsTest {
  @TempDir static Path dir;

  @BeforeAll
  static void certificates() throws Exception {
    certificate("right", "ip:127.0.0.1");
    certificate("wrong", "dns:wrong.example");
  }

  static void certificate(String name, String san) throws Exception {
    Path ks = dir.resolve(name + ".p12");
    keytool("-genkeypair", "-alias", "s", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-ext", "san=" + san, "-validity", "2",
        "-keystore", ks.toString(), "-storepass", "changeit", "-storetype", "PKCS12");
    keytool("-exportcert", "-rfc", "-alias", "s", "-keystore", ks.toString(),
        "-storepass", "changeit", "-file", dir.resolve(name + ".pem").toString());
  }

  static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("keytool failed: " + out);
    }
  }

  static SSLContext serverContext(String name) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** Greeting, EHLO offering STARTTLS, the handshake with {@code cert}, then a whole transaction. */
  static ScriptedPeer.Script tlsPeer(String cert) throws Exception {
    SSLContext ctx = serverContext(cert);
    return c -> {
      ScriptedPeer.hello(c, "PIPELINING", "STARTTLS");
      c.expect("STARTTLS");
      c.send("220 2.0.0 go ahead\r\n");
      c.startTls(ctx);
      ScriptedPeer.ehlo(c, "PIPELINING");
      ScriptedPeer.transaction(c);
    };
  }

  @Test
  void opportunisticStartTlsUpgradesAndSaysEhloAgain() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(tlsPeer("wrong"))) { // any certificate will do
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"),
          bytes("Subject: x\r\n\r\nbody\r\n"));
      assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 fine"));
      assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean()).isTrue();
      assertThat(peer.failure()).isNull();
      assertThat(peer.received).containsExactly("EHLO client.koukan.test", "STARTTLS",
          "tls EHLO client.koukan.test", "tls MAIL FROM:<a@example.com>", "tls RCPT TO:<b@example.net>",
          "tls DATA", "tls Subject: x", "tls ", "tls body", "tls .", "tls QUIT");
    }
  }

  @Test
  void tlsNoneNeverStartsTls() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "STARTTLS");
      ScriptedPeer.transaction(c);
    })) {
      FilterTx tx = deliver(options("{\"tls\": \"none\"}", peer.port()), tx("a@example.com", "b@example.net"),
          bytes("x\r\n"));
      assertThat(tx.dataResponse().code()).isEqualTo(250);
      assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean()).isFalse();
      assertThat(peer.received).doesNotContain("STARTTLS");
    }
  }

  @Test
  void aRefusedStartTlsGoesOnInPlainText() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "STARTTLS");
      c.expect("STARTTLS");
      c.send("454 4.7.0 TLS not available now\r\n");
      ScriptedPeer.transaction(c);
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), bytes("x\r\n"));
      assertThat(tx.dataResponse().code()).isEqualTo(250);
      assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean()).isFalse();
    }
  }

  /** Bytes after the 220 and before the handshake would pass for TLS-protected (CVE-2011-0411). */
  @Test
  void dataSmuggledBeforeTheHandshakeEndsTheSession() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "STARTTLS");
      c.expect("STARTTLS");
      c.send("220 2.0.0 go ahead\r\n250-injected\r\n250 STARTTLS\r\n");
      c.line(); // the client goes away
    })) {
      FilterTx tx = deliver(options("{}", peer.port()), tx("a@example.com", "b@example.net"), bytes("x\r\n"));
      assertThat(tx.mailResponse()).isEqualTo(new Response(451, "4.5.0 smtp_output: 127.0.0.1:" + peer.port()
          + " sent data after its STARTTLS reply before the TLS handshake"));
      assertThat(peer.received).containsExactly("EHLO client.koukan.test", "STARTTLS");
    }
  }

  @ParameterizedTest(name = "{0} certificate, CA file {1}")
  @CsvSource({
      "right, right.pem, 250, ''",
      "wrong, wrong.pem, 451, 4.7.5 smtp_output: TLS with 127.0.0.1:PORT failed during TLS handshake: |No subject alternative names matching IP address 127.0.0.1",
      "right, '',        451, 4.7.5 smtp_output: TLS with 127.0.0.1:PORT failed during TLS handshake: |PKIX path building failed"})
  void verifyChecksTheChainAndTheName(String cert, String ca, int code, String message) throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(tlsPeer(cert))) {
      String extra = ca.isEmpty() ? "{\"tls\": \"verify\"}"
          : "{\"tls\": \"verify\", \"tls_ca_file\": \"" + dir.resolve(ca) + "\"}";
      FilterTx tx = deliver(options(extra, peer.port()), tx("a@example.com", "b@example.net"), bytes("x\r\n"));
      assertThat(tx.mailResponse().code()).isEqualTo(code == 250 ? 250 : 451);
      if (code == 250) {
        assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 fine"));
        assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean()).isTrue();
      } else {
        String[] parts = message.replace("PORT", "" + peer.port()).split("\\|");
        assertThat(tx.mailResponse().message()).startsWith(parts[0]).contains(parts[1]);
      }
    }
  }

  @Test
  void verifyRequiresStartTls() throws Exception {
    try (ScriptedPeer peer = new ScriptedPeer(c -> {
      ScriptedPeer.hello(c, "PIPELINING");
      c.expect("QUIT");
      c.send("221 bye\r\n");
    })) {
      FilterTx tx = deliver(options("{\"tls\": \"verify\"}", peer.port()), tx("a@example.com", "b@example.net"),
          bytes("x\r\n"));
      assertThat(tx.mailResponse()).isEqualTo(new Response(451, "4.7.4 smtp_output: 127.0.0.1:" + peer.port()
          + " does not offer STARTTLS (tls: verify)"));
      assertThat(peer.failure()).isNull();
    }
  }
}
