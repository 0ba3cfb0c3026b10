package net.koukan.drop;

import java.time.Duration;
import java.util.List;
import net.koukan.filter.BlobSource;
import net.koukan.smtpclient.Reply;
import net.koukan.smtpclient.SmtpClient;
import net.koukan.smtpclient.SmtpClientConfig;
import net.koukan.smtpclient.SmtpClientException;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * Hands forwarded mail (SwiftDrop's FORWARDS: postmaster@ and friends) to an SMTP next hop,
 * normally a Koukan gateway, so it takes the normal routing path. Cut-through: the client's
 * answer waits for the relay's.
 */
final class ForwardRelay {
  private final String host;
  private final int port;
  private final SmtpClientConfig config;

  ForwardRelay(String hostPort, String ehloName) {
    int c = hostPort.lastIndexOf(':');
    this.host = hostPort.substring(0, c).replace("[", "").replace("]", "");
    this.port = Integer.parseInt(hostPort.substring(c + 1));
    Duration t = Duration.ofSeconds(30);
    this.config = new SmtpClientConfig(ehloName, SmtpClientConfig.Protocol.SMTP,
        SmtpClientConfig.TlsMode.OPPORTUNISTIC, null, true, true, 1 << 20,
        new SmtpClientConfig.Timeouts(Duration.ofSeconds(10), t, t, t, t, Duration.ofSeconds(60)));
  }

  /** Null when the relay accepted the message for every target, else the reply for our client. */
  Response relay(String mailFrom, List<String> targets, BlobSource content) {
    try (SmtpClient c = new SmtpClient(config)) {
      Reply refused = c.open(host, port);
      if (refused != null) {
        return failed("greeting/EHLO", refused);
      }
      SmtpClient.EnvelopeReplies e = c.envelope(Mailbox.of(mailFrom),
          targets.stream().map(Mailbox::of).toList(), false);
      if (e.failure() != null) {
        return new Response(451, "4.4.0 forward relay failed: " + e.failure().getMessage());
      }
      if (!e.mail().positive()) {
        return failed("MAIL", e.mail());
      }
      for (Reply r : e.rcpts()) {
        if (r == null || !r.positive()) {
          return failed("RCPT", r);
        }
      }
      List<Reply> d = c.body(content);
      Reply last = d.isEmpty() ? null : d.get(d.size() - 1);
      if (last == null || !last.positive()) {
        return failed("DATA", last);
      }
      c.quit();
      return null;
    } catch (SmtpClientException | RuntimeException e) {
      return new Response(451, "4.4.0 forward relay " + host + ":" + port + " failed: " + e.getMessage());
    }
  }

  private static Response failed(String step, Reply r) {
    String what = r == null ? "no answer" : r.code() + " " + r.text();
    if (r != null && r.permanent()) {
      return new Response(550, "5.0.0 forward relay refused at " + step + ": " + what);
    }
    return new Response(451, "4.4.0 forward relay deferred at " + step + ": " + what);
  }
}
