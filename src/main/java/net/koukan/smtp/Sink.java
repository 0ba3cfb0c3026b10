package net.koukan.smtp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * The reference's fake_smtpd as an {@link SmtpSession.Factory}: accepts every message, prints a
 * one-line summary of each and, with a directory, stores it as {@code <n>.msg} (the content) and
 * {@code <n>.json} (the envelope, written last). Magic local-part prefixes force answers:
 * {@code rcpttemp} 450, {@code rcptperm} 550, {@code rcpttimeout} no answer (until the server's
 * command timeout ends the connection); and, for a transaction with exactly one recipient,
 * {@code datatemp} 450, {@code dataperm} 550, {@code datatimeout} no answer to the data.
 */
public final class Sink implements SmtpSession.Factory {
  private final Path dir;
  private final PrintStream out;
  private final Clock clock;
  private final AtomicLong count = new AtomicLong();
  private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** {@code dir} null: print only. */
  public Sink(Path dir, PrintStream out, Clock clock) {
    this.dir = dir;
    this.out = out;
    this.clock = clock;
  }

  /** Messages accepted so far. */
  public long delivered() {
    return count.get();
  }

  @Override
  public SmtpSession open(SessionInfo connection) {
    return new Session();
  }

  private static String local(Mailbox m) {
    String a = m.address();
    int at = a.lastIndexOf('@');
    return (at < 0 ? a : a.substring(0, at)).toLowerCase(Locale.ROOT);
  }

  /** Blocks until the server gives up on us (it interrupts the thread). */
  private static Response hang() {
    try {
      Thread.sleep(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Response(451, "4.4.2 timeout");
  }

  private final class Session implements SmtpSession {
    private SessionInfo info;
    private Mailbox from;
    private final List<Mailbox> rcpts = new ArrayList<>();

    @Override
    public Response mail(SessionInfo info, Mailbox from) {
      this.info = info;
      this.from = from;
      rcpts.clear();
      return new Response(250, "2.1.0 sender ok");
    }

    @Override
    public Response rcpt(Mailbox to) {
      String l = local(to);
      if (l.startsWith("rcpttemp")) {
        return new Response(450, "4.2.0 rcpttemp: temporary failure (sink)");
      }
      if (l.startsWith("rcptperm")) {
        return new Response(550, "5.1.1 rcptperm: permanent failure (sink)");
      }
      if (l.startsWith("rcpttimeout")) {
        return hang();
      }
      rcpts.add(to);
      return new Response(250, "2.1.5 recipient ok");
    }

    @Override
    public Response data(MessageBody body) {
      if (rcpts.size() == 1) {
        String l = local(rcpts.get(0));
        if (l.startsWith("datatemp")) {
          return new Response(450, "4.3.0 datatemp: temporary failure (sink)");
        }
        if (l.startsWith("dataperm")) {
          return new Response(550, "5.6.0 dataperm: permanent failure (sink)");
        }
        if (l.startsWith("datatimeout")) {
          return hang();
        }
      }
      long n = count.incrementAndGet();
      try {
        if (dir != null) {
          store(n, body);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      out.printf("message %d: from=<%s> to=%s size=%d helo=%s tls=%s auth=%s remote=%s%n", n,
          from.address(), rcpts.stream().map(r -> "<" + r.address() + ">").toList(), body.size(),
          info.heloName(), info.tls(), info.authUser(), info.remote());
      out.flush();
      return new Response(250, "2.0.0 ok: message " + n + " received");
    }

    private void store(long n, MessageBody body) throws IOException {
      Path msg = dir.resolve(n + ".msg");
      Path tmp = dir.resolve(n + ".msg.tmp");
      try (InputStream in = body.open()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(tmp, msg, StandardCopyOption.REPLACE_EXISTING);
      ObjectNode env = json.createObjectNode();
      env.set("mail_from", mailbox(from));
      ArrayNode to = env.putArray("rcpt_to");
      rcpts.forEach(r -> to.add(mailbox(r)));
      env.put("ehlo", info.heloName());
      env.put("esmtp", info.esmtp());
      env.put("tls", info.tls());
      env.put("auth_user", info.authUser());
      env.put("remote", String.valueOf(info.remote()));
      env.put("local", String.valueOf(info.local()));
      env.put("size", body.size());
      env.put("received", clock.instant().toString());
      Path tmpJson = dir.resolve(n + ".json.tmp");
      json.writeValue(tmpJson.toFile(), env);
      Files.move(tmpJson, dir.resolve(n + ".json"), StandardCopyOption.REPLACE_EXISTING);
    }

    private ObjectNode mailbox(Mailbox m) {
      ObjectNode o = json.createObjectNode();
      o.put("address", m.address());
      ObjectNode p = o.putObject("params");
      for (EsmtpParam e : m.params()) {
        p.put(e.keyword(), e.value());
      }
      return o;
    }

    @Override
    public void reset() {
      from = null;
      rcpts.clear();
    }
  }
}
