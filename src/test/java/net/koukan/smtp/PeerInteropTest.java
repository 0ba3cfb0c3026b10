package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black-box interoperability with independent SMTP clients (../shared/testing/black-box-peers.md):
 * swaks (plain, PIPELINING, STARTTLS, AUTH PLAIN/LOGIN, SMTPS), Python's smtplib (pipelined
 * multi-recipient send, SMTPUTF8) and Postfix's smtp-source (200 messages over 20 sessions).
 * What arrived is checked through the recording session, not through the client's say-so.
 */
class PeerInteropTest extends ServerFixture {
  static final String SECRET = "pQ3m9vB1xZ7kT5rW0yL2nH8cF4dJ6sA1eG9uK3oR7iM";
  static final Duration RUN = Duration.ofSeconds(120);
  @TempDir static Path dir;
  static SSLContext serverTls;

  @BeforeAll
  static void certificates() throws Exception {
    serverTls = TestTls.rsa(dir).server();
  }

  SmtpServer tlsServer(boolean smtps) throws java.io.IOException {
    return start(b -> b.tls(serverTls).smtps(smtps)
        .auth(new AuthSecrets(Map.of("alice", AuthSecrets.sha256Hex(SECRET))))
        .timeouts(timeouts().withAuthFailureDelay(Duration.ofMillis(200))));
  }

  static List<String> swaks(int port, String... extra) {
    List<String> cmd = new ArrayList<>(List.of(Peers.require("/usr/bin/swaks").toString(),
        "--server", "127.0.0.1", "--port", String.valueOf(port), "--helo", "swaks.client.test",
        "--from", "sender@example.test", "--to", "rcpt@dest.example",
        "--header", "Subject: from swaks", "--body", "hello from swaks\n.leading dot", "--timeout", "20"));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  Peers.Result run(List<String> cmd) throws Exception {
    return Peers.run(RUN, dir, cmd);
  }

  @Test
  void swaksPlain() throws Exception {
    SmtpServer s = start();
    Peers.Result r = run(swaks(s.port()));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(rec.messages).hasSize(1);
    Recorder.Message m = rec.messages.get(0);
    assertThat(m.text()).contains("Subject: from swaks\r\n").contains("\r\nhello from swaks\r\n.leading dot\r\n");
    assertThat(m.from().address()).isEqualTo("sender@example.test");
    assertThat(m.info().heloName()).isEqualTo("swaks.client.test");
  }

  @Test
  void swaksPipelining() throws Exception {
    SmtpServer s = start();
    Peers.Result r = run(swaks(s.port(), "--pipeline"));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("PIPELINING");
    assertThat(rec.messages).hasSize(1);
  }

  @Test
  void swaksStarttls() throws Exception {
    SmtpServer s = tlsServer(false);
    Peers.Result r = run(swaks(s.port(), "-tls"));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("TLS started");
    assertThat(rec.messages).hasSize(1);
    assertThat(rec.messages.get(0).info().tls()).isTrue();
    assertThat(rec.messages.get(0).info().authUser()).isNull();
  }

  @Test
  void swaksAuthPlainAndLoginAfterStarttls() throws Exception {
    SmtpServer s = tlsServer(false);
    for (String mech : List.of("PLAIN", "LOGIN")) {
      Peers.Result r = run(swaks(s.port(), "-tls", "--auth", mech, "--auth-user", "alice", "--auth-password", SECRET));
      assertThat(r.exit()).as(r.output()).isZero();
      assertThat(r.output()).contains("235 2.7.0");
    }
    assertThat(rec.messages).hasSize(2).allSatisfy(m -> assertThat(m.info().authUser()).isEqualTo("alice"));
    Peers.Result bad = run(swaks(s.port(), "-tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "guess"));
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.output()).contains("535 5.7.8");
    assertThat(rec.messages).hasSize(2);
  }

  @Test
  void swaksRefusesAuthWithoutTls() throws Exception {
    SmtpServer s = tlsServer(false);
    Peers.Result r = run(swaks(s.port(), "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", SECRET));
    assertThat(r.exit()).isNotZero(); // AUTH is not advertised in plaintext, so swaks cannot authenticate
    assertThat(rec.messages).isEmpty();
  }

  @Test
  void swaksSmtps() throws Exception {
    SmtpServer s = tlsServer(true);
    Peers.Result r = run(swaks(s.port(), "--tls-on-connect", "--auth", "LOGIN", "--auth-user", "alice",
        "--auth-password", SECRET));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(rec.messages).hasSize(1);
    assertThat(rec.messages.get(0).info().tls()).isTrue();
    assertThat(rec.messages.get(0).info().authUser()).isEqualTo("alice");
  }

  @Test
  void pythonSmtplib() throws Exception {
    Path python = Peers.require("/usr/bin/python3");
    SmtpServer s = start();
    Path script = script("smtplib_client.py");
    Peers.Result r = run(List.of(python.toString(), script.toString(), "127.0.0.1", String.valueOf(s.port())));
    assertThat(r.exit()).as(r.output()).isZero();
    JsonNode out = new ObjectMapper().readTree(r.output().lines().reduce((a, b) -> b).orElseThrow());
    assertThat(out.get("ehlo").asInt()).isEqualTo(250);
    assertThat(out.get("pipelining").asBoolean()).isTrue();
    assertThat(out.get("smtputf8").asBoolean()).isTrue();
    assertThat(out.get("chunking").asBoolean()).isTrue();
    assertThat(out.get("size").asText()).isEqualTo(String.valueOf(32L << 20));
    assertThat(out.get("pipelined").toString()).isEqualTo("[250,250,250,250,354]");
    assertThat(out.get("pipelined_data").asInt()).isEqualTo(250);
    assertThat(out.get("sendmail_refused").size()).isZero();
    assertThat(out.get("utf8_refused").size()).isZero();
    assertThat(out.get("utf8_without_param").get(0).asInt()).isEqualTo(553);

    assertThat(rec.messages).hasSize(3);
    Recorder.Message pipelined = rec.messages.get(0);
    assertThat(pipelined.rcpts()).extracting(m -> m.address()).containsExactly("r1@example.test", "r2@example.test", "r3@example.test");
    assertThat(pipelined.text()).isEqualTo("Subject: pipelined\r\n\r\n.leading dot\r\nline\r\n");
    assertThat(rec.messages.get(1).rcpts()).hasSize(2);
    Recorder.Message utf8 = rec.messages.get(2);
    assertThat(utf8.from().address()).isEqualTo("\u00fcnicode@\u4f8b\u3048.jp");
    assertThat(utf8.rcpts().get(0).address()).isEqualTo("\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a");
    assertThat(utf8.text()).contains("hej \u00fc");
  }

  @Test
  void postfixSmtpSource200Messages() throws Exception {
    Path source = Peers.require("/usr/sbin/smtp-source");
    SmtpServer s = start();
    Peers.Result r = run(List.of(source.toString(), "-s", "20", "-m", "200", "-l", "4096", "-c",
        "-f", "sender@example.test", "-t", "rcpt@example.test", "127.0.0.1:" + s.port()));
    assertThat(r.exit()).as(r.output()).isZero();
    await().atMost(Duration.ofSeconds(30)).until(() -> rec.messages.size() >= 200);
    assertThat(rec.messages).hasSize(200).allSatisfy(m -> {
      assertThat(m.body().length).isGreaterThanOrEqualTo(4096);
      assertThat(m.rcpts()).extracting(x -> x.address()).containsExactly("rcpt@example.test");
    });
    assertThat(rec.opened).hasSize(200); // smtp-source opens a connection per message unless -d
  }

  static Path script(String name) throws URISyntaxException {
    return Path.of(PeerInteropTest.class.getResource("/smtp/" + name).toURI());
  }
}
