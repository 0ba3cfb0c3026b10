package net.koukan.drop;

import java.util.ArrayList;
import java.util.List;
import net.koukan.filter.BlobSource;
import net.koukan.smtp.MessageBody;
import net.koukan.smtp.SessionInfo;
import net.koukan.smtp.SmtpSession;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * One SMTP connection of {@code ./koukan drop serve} in stored mode: recipients are checked
 * against the sections at RCPT (unknown: 550 5.1.1; a section whose start-up check failed: 451),
 * and the reply to the end of data is {@link DropService#deliver}'s: 250 only once every
 * destination has the object.
 */
public final class DropSession implements SmtpSession {
  private final DropService service;
  private final java.time.Clock clock;
  private SessionInfo info;
  private Mailbox from;
  private final List<String> rcpts = new ArrayList<>();

  public DropSession(DropService service, java.time.Clock clock) {
    this.service = service;
    this.clock = clock;
  }

  /** The factory for {@link net.koukan.smtp.ListenerConfig}. */
  public static SmtpSession.Factory factory(DropService service, java.time.Clock clock) {
    return connection -> new DropSession(service, clock);
  }

  @Override
  public Response mail(SessionInfo info, Mailbox from) {
    this.info = info;
    this.from = from;
    rcpts.clear();
    return new Response(250, "2.1.0 sender ok");
  }

  @Override
  public Response rcpt(Mailbox to) {
    String a = DropConfig.normalize(to.address());
    return switch (service.route(a)) {
      case DropService.Route.Store s when s.unavailable() ->
          new Response(451, "4.3.0 " + a + ": destination temporarily unavailable, please try again later");
      case DropService.Route.Store s -> accept(a);
      case DropService.Route.Forward f -> accept(a);
      case DropService.Route.Unknown u -> new Response(550, "5.1.1 " + a + ": no such recipient here");
    };
  }

  private Response accept(String a) {
    if (!rcpts.contains(a)) {
      rcpts.add(a);
    }
    return new Response(250, "2.1.5 recipient ok");
  }

  @Override
  public Response data(MessageBody body) {
    String ip = info.remote() == null ? null : info.remote().getAddress() == null
        ? info.remote().getHostString() : info.remote().getAddress().getHostAddress();
    Arrival a = new Arrival(from.address(), rcpts, ip, info.heloName(), info.tls(), info.authUser(), clock.instant());
    return service.deliver(a, new BlobSource() {
      @Override
      public long length() {
        return body.size();
      }

      @Override
      public java.io.InputStream open() throws java.io.IOException {
        return body.open();
      }
    });
  }

  @Override
  public void reset() {
    from = null;
    rcpts.clear();
  }
}
