package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import net.koukan.cli.SinkCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code koukan sink}: the fake_smtpd's magic recipients, the printed summary and the stored files. */
class SinkTest {
  @TempDir Path dir;
  final ByteArrayOutputStream printed = new ByteArrayOutputStream();
  final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  SmtpServer server;

  SmtpServer sink(Path store) throws IOException {
    server = new SmtpServer(ListenerConfig.builder(new Sink(store, new PrintStream(printed, true, StandardCharsets.UTF_8), clock))
        .port(0).hostname("sink.test")
        .timeouts(SmtpTimeouts.defaults().withCommand(Duration.ofMillis(300)).withDataTermination(Duration.ofMillis(300)))
        .build());
    server.start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  static TestClient.Got send(TestClient c, String body, String... rcpts) throws IOException {
    c.cmd("MAIL FROM:<from@example.com> SIZE=100");
    for (String r : rcpts) {
      c.cmd("RCPT TO:<" + r + ">");
    }
    TestClient.Got g = c.cmd("DATA");
    if (g.code() != 354) {
      return g;
    }
    return c.cmd(body + "\r\n.");
  }

  @Test
  void storesMessagesAndEnvelopes() throws IOException {
    SmtpServer s = sink(dir);
    try (TestClient c = TestClient.open(s.port())) {
      c.cmd("EHLO client.test");
      assertThat(send(c, "Subject: one", "a@example.com", "b@example.com").toString()).isEqualTo("250 2.0.0 ok: message 1 received");
      assertThat(send(c, "Subject: two", "c@example.com").code()).isEqualTo(250);
    }
    assertThat(Files.readString(dir.resolve("1.msg"))).isEqualTo("Subject: one\r\n");
    assertThat(Files.readString(dir.resolve("2.msg"))).isEqualTo("Subject: two\r\n");
    JsonNode env = new ObjectMapper().readTree(dir.resolve("1.json").toFile());
    assertThat(env.at("/mail_from/address").asText()).isEqualTo("from@example.com");
    assertThat(env.at("/mail_from/params/SIZE").asText()).isEqualTo("100");
    assertThat(env.at("/rcpt_to/1/address").asText()).isEqualTo("b@example.com");
    assertThat(env.get("ehlo").asText()).isEqualTo("client.test");
    assertThat(env.get("size").asLong()).isEqualTo(14);
    assertThat(env.get("received").asText()).isEqualTo("2026-01-02T03:04:05Z");
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("1.json", "1.msg", "2.json", "2.msg");
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("message 1: from=<from@example.com> to=[<a@example.com>, <b@example.com>] size=14 helo=client.test");
  }

  @Test
  void magicRecipients() throws IOException {
    SmtpServer s = sink(null);
    try (TestClient c = TestClient.open(s.port())) {
      c.cmd("EHLO client.test");
      c.cmd("MAIL FROM:<from@example.com>");
      assertThat(c.cmd("RCPT TO:<rcpttemp1@example.com>").toString()).startsWith("450 4.2.0");
      assertThat(c.cmd("RCPT TO:<RcptPerm@example.com>").toString()).startsWith("550 5.1.1");
      c.cmd("RSET");
      assertThat(send(c, "x", "datatemp@example.com").toString()).startsWith("450 4.3.0");
      assertThat(send(c, "x", "dataperm@example.com").toString()).startsWith("550 5.6.0");
      // data prefixes only count for a single recipient
      assertThat(send(c, "x", "dataperm@example.com", "ok@example.com").code()).isEqualTo(250);
    }
    try (TestClient c = TestClient.open(s.port())) {
      c.cmd("EHLO client.test");
      c.cmd("MAIL FROM:<from@example.com>");
      assertThat(c.cmd("RCPT TO:<rcpttimeout@example.com>").toString()).isEqualTo("421 4.4.2 sink.test timeout, closing connection");
      assertThat(c.closedByServer()).isTrue();
    }
    try (TestClient c = TestClient.open(s.port())) {
      c.cmd("EHLO client.test");
      assertThat(send(c, "x", "datatimeout@example.com").code()).isEqualTo(421);
    }
    assertThat(printed.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("message "))).hasSize(1);
  }

  @Test
  void sinkCommandRefusesLmtp() {
    assertThat(new CommandLine(new SinkCommand()).execute("0", "--lmtp", "yes")).isEqualTo(2);
    assertThat(new CommandLine(new SinkCommand()).execute("0", "--cert", "x.pem")).isEqualTo(2);
  }
}
