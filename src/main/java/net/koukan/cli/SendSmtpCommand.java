package net.koukan.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import net.koukan.filter.BlobSource;
import net.koukan.smtpclient.Reply;
import net.koukan.smtpclient.SmtpClient;
import net.koukan.smtpclient.SmtpClientConfig;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code koukan send-smtp}: the reference's {@code ssmtp.py}. Sends one message over SMTP with our
 * client (PIPELINING, BDAT and STARTTLS when the server offers them) and prints the reply to MAIL,
 * to each RCPT and to the data. The message is a file, standard input, or built from --subject.
 */
@Command(name = "send-smtp", mixinStandardHelpOptions = true,
    description = "Send one message over SMTP and print every reply.")
public final class SendSmtpCommand implements Callable<Integer> {

  @Option(names = "--server", defaultValue = "127.0.0.1:1025", description = "HOST:PORT (default: ${DEFAULT-VALUE})")
  String server;

  @Option(names = "--from", required = true, description = "MAIL FROM address ('' for the null sender)")
  String from;

  @Option(names = "--to", required = true, split = ",", description = "recipients (repeat or comma-separate)")
  List<String> to;

  @Option(names = "--message", description = "a raw RFC 822 message file ('-' for standard input)")
  Path message;

  @Option(names = "--subject", description = "build a short message with this subject (body: --body)")
  String subject;

  @Option(names = "--body", defaultValue = "test message", description = "body text with --subject")
  String body;

  @Option(names = "--ehlo", defaultValue = "localhost", description = "EHLO name (default: ${DEFAULT-VALUE})")
  String ehlo;

  @Option(names = "--tls", defaultValue = "opportunistic", description = "none, opportunistic or verify")
  String tls;

  @Option(names = "--no-pipelining", description = "one command at a time")
  boolean noPipelining;

  @Option(names = "--no-bdat", description = "use DATA even when CHUNKING is offered")
  boolean noBdat;

  @Option(names = "--lmtp", description = "speak LMTP (LHLO, a reply per recipient)")
  boolean lmtp;

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    byte[] bytes;
    if (message != null) {
      bytes = message.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(message);
    } else if (subject != null) {
      bytes = build().getBytes(StandardCharsets.UTF_8);
    } else {
      bytes = System.in.readAllBytes();
    }
    int colon = server.lastIndexOf(':');
    if (colon < 0) {
      System.err.println("send-smtp: --server must be HOST:PORT");
      return 2;
    }
    String host = server.substring(0, colon);
    int port = Integer.parseInt(server.substring(colon + 1));
    SmtpClientConfig.TlsMode mode;
    switch (tls) {
      case "none" -> mode = SmtpClientConfig.TlsMode.NONE;
      case "verify" -> mode = SmtpClientConfig.TlsMode.VERIFY;
      case "opportunistic" -> mode = SmtpClientConfig.TlsMode.OPPORTUNISTIC;
      default -> {
        System.err.println("send-smtp: --tls must be none, opportunistic or verify");
        return 2;
      }
    }
    SmtpClientConfig d = SmtpClientConfig.defaults(ehlo);
    SmtpClientConfig cfg = new SmtpClientConfig(ehlo, lmtp ? SmtpClientConfig.Protocol.LMTP
        : SmtpClientConfig.Protocol.SMTP, mode, null, !noPipelining, !noBdat, d.chunkSize(), d.timeouts());
    try (SmtpClient c = new SmtpClient(cfg)) {
      Reply refused = c.open(host, port); // null: ready for MAIL
      if (refused != null) {
        out.println("connect: " + line(refused));
        c.quit();
        return 1;
      }
      out.println("connect: " + line(c.greeting()) + (c.tls() ? " (TLS)" : "")
          + (c.chunking() ? " (BDAT)" : "") + (c.pipelining() ? " (PIPELINING)" : ""));
      List<Mailbox> rcpts = new ArrayList<>();
      to.forEach(r -> rcpts.add(Mailbox.of(r.trim())));
      Mailbox mail = new Mailbox(from, List.of(new EsmtpParam("SIZE", Long.toString(bytes.length))));
      // DATA goes in the pipeline only when the body will not be sent with BDAT
      SmtpClient.EnvelopeReplies r = c.envelope(mail, rcpts, !c.chunking());
      out.println("mail: " + line(r.mail()));
      for (int i = 0; i < rcpts.size(); i++) {
        out.println("rcpt " + rcpts.get(i).address() + ": "
            + (i < r.rcpts().size() ? line(r.rcpts().get(i)) : "(no reply)"));
      }
      if (r.failure() != null) {
        out.println("failure: " + r.failure().getMessage());
        return 1;
      }
      boolean anyRcpt = r.rcpts().stream().anyMatch(Reply::positive);
      if (r.mail() == null || !r.mail().positive() || !anyRcpt) {
        return 1;
      }
      List<Reply> data = c.body(BlobSource.of(bytes));
      boolean ok = !data.isEmpty();
      for (Reply x : data) {
        out.println("data: " + line(x));
        ok &= x.positive();
      }
      c.quit();
      return ok ? 0 : 1;
    } catch (Exception e) {
      out.println("failure: " + e.getMessage());
      return 1;
    }
  }

  private String build() {
    return "From: " + from + "\r\nTo: " + String.join(", ", to) + "\r\nSubject: " + subject
        + "\r\nDate: " + ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)
        + "\r\nMessage-ID: <" + UUID.randomUUID() + "@" + ehlo + ">\r\nMIME-Version: 1.0"
        + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n";
  }

  private static String line(Reply r) {
    return r == null ? "(no reply)" : r.code() + " " + r.text();
  }
}
