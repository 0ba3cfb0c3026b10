package net.koukan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.MessageBody;
import net.koukan.smtp.SessionInfo;
import net.koukan.smtp.SmtpServer;
import net.koukan.smtp.SmtpSession;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SendSmtpCommandTest {
  SmtpServer server;
  final List<String> got = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new SmtpServer(ListenerConfig.builder(conn -> new SmtpSession() {
      String from;
      final List<String> rcpts = new CopyOnWriteArrayList<>();

      @Override
      public Response mail(SessionInfo info, Mailbox m) {
        from = m.address() + " " + m.params();
        return new Response(250, "2.1.0 ok");
      }

      @Override
      public Response rcpt(Mailbox to) {
        if (to.address().startsWith("nobody")) {
          return new Response(550, "5.1.1 no such user");
        }
        rcpts.add(to.address());
        return new Response(250, "2.1.5 ok");
      }

      @Override
      public Response data(MessageBody body) {
        try (InputStream in = body.open()) {
          got.add(from + " " + rcpts + "\n" + new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
          return new Response(451, "4.3.0 io");
        }
        return new Response(250, "2.0.0 stored");
      }

      @Override
      public void reset() {
        rcpts.clear();
      }
    }).build());
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void sendsAndPrintsEveryReply() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SendSmtpCommand cmd = new SendSmtpCommand();
    cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    int rc = new CommandLine(cmd).execute("--server", "127.0.0.1:" + server.port(), "--from", "a@x.test",
        "--to", "b@y.test,nobody@y.test", "--subject", "hello", "--tls", "none");
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(rc).as(text).isZero();
    assertThat(text).contains("mail: 250 2.1.0 ok").contains("rcpt b@y.test: 250 2.1.5 ok")
        .contains("rcpt nobody@y.test: 550 5.1.1 no such user").contains("data: 250 2.0.0 stored");
    assertThat(got).hasSize(1);
    assertThat(got.get(0)).startsWith("a@x.test [EsmtpParam[keyword=SIZE, value=")
        .contains("[b@y.test]").contains("Subject: hello\r\n");
  }

  @Test
  void allRecipientsRefusedIsAFailure() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SendSmtpCommand cmd = new SendSmtpCommand();
    cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    assertThat(new CommandLine(cmd).execute("--server", "127.0.0.1:" + server.port(), "--from", "a@x.test",
        "--to", "nobody@y.test", "--subject", "x", "--tls", "none")).isEqualTo(1);
    assertThat(got).isEmpty();
  }
}
