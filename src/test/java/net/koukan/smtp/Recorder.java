package net.koukan.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * A test {@link SmtpSession.Factory} that records everything: the connections it opened, the
 * calls in order, and each delivered message (envelope + a copy of the body). Answers default to
 * 250; tests replace them.
 */
final class Recorder implements SmtpSession.Factory {
  /** One delivered message. */
  record Message(SessionInfo info, Mailbox from, List<Mailbox> rcpts, byte[] body, boolean onDisk) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  final List<SessionInfo> opened = new CopyOnWriteArrayList<>();
  final List<String> calls = new CopyOnWriteArrayList<>();
  final List<Message> messages = new CopyOnWriteArrayList<>();
  final AtomicInteger resets = new AtomicInteger();
  final AtomicInteger dataCalls = new AtomicInteger();
  volatile BiFunction<SessionInfo, Mailbox, Response> onMail = (i, m) -> new Response(250, "2.1.0 ok");
  volatile Function<Mailbox, Response> onRcpt = m -> new Response(250, "2.1.5 ok");
  volatile Function<MessageBody, Response> onData = b -> new Response(250, "2.0.0 queued");

  @Override
  public SmtpSession open(SessionInfo connection) {
    opened.add(connection);
    return new SmtpSession() {
      SessionInfo info;
      Mailbox from;
      final List<Mailbox> rcpts = new ArrayList<>();

      @Override
      public Response mail(SessionInfo info, Mailbox from) {
        calls.add("mail " + from.address());
        this.info = info;
        this.from = from;
        rcpts.clear();
        return onMail.apply(info, from);
      }

      @Override
      public Response rcpt(Mailbox to) {
        calls.add("rcpt " + to.address());
        Response r = onRcpt.apply(to);
        if (r.ok()) {
          rcpts.add(to);
        }
        return r;
      }

      @Override
      public Response data(MessageBody body) {
        calls.add("data");
        dataCalls.incrementAndGet();
        byte[] copy;
        try (InputStream in = body.open()) {
          copy = in.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        if (copy.length != body.size()) {
          throw new AssertionError("size " + body.size() + " but read " + copy.length);
        }
        Response r = onData.apply(body);
        if (r.ok()) {
          messages.add(new Message(info, from, List.copyOf(rcpts), copy, body instanceof Spool s && s.onDisk()));
        }
        return r;
      }

      @Override
      public void reset() {
        calls.add("reset");
        resets.incrementAndGet();
      }
    };
  }
}
