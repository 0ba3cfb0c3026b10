package net.koukan.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.Cidr;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.filter.GrowingBlob;
import net.koukan.smtp.GrowingMessage;
import net.koukan.smtp.MessageBody;
import net.koukan.smtp.SessionInfo;
import net.koukan.smtp.SmtpSession;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * One SMTP connection bridged to the router (spec §6.2): each SMTP transaction becomes a REST
 * transaction in the incremental dialect (POST with MAIL, PATCH per RCPT, PUT of the body), and
 * every reply is the router's answer, so the client sees cut-through results. RSET, QUIT and a
 * lost connection cancel the REST transaction.
 */
public final class RestBridgeSession implements SmtpSession {

  /** What a listener needs to bridge: the router endpoint and who we say we are. */
  public record Settings(Supplier<Filter> restOutput, String sender, String tag,
      boolean requireAuth, List<Cidr> authExempt) {}

  private final Settings settings;
  private FilterTx tx;
  private Chain chain;
  /** While DATA streams on: the thread running the body through the chain, and its body. */
  private Thread streaming;
  private StreamedBody streamed;

  public RestBridgeSession(Settings settings) {
    this.settings = settings;
  }

  @Override
  public Response mail(SessionInfo info, Mailbox from) {
    reset();
    if (settings.requireAuth() && info.authUser() == null && !exempt(info.remote())) {
      return new Response(530, "5.7.0 Authentication required");
    }
    tx = new FilterTx(null, settings.sender(), settings.tag());
    tx.upstream(settings.sender(), settings.tag());
    tx.remoteHost(hostPort(info.remote()));
    tx.localHost(hostPort(info.local()));
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    meta.put("ehlo_host", info.heloName() == null ? "" : info.heloName());
    meta.put("esmtp", info.esmtp());
    meta.put("tls", info.tls());
    meta.put("auth", info.authUser() != null);
    tx.smtpMeta(meta);
    tx.mailFrom(from);
    chain = new Chain(List.of(settings.restOutput().get()));
    chain.update(tx, new Delta(true, List.of(), false));
    Response r = tx.mailResponse();
    return r != null ? r : new Response(450, "4.3.0 MAIL upstream timeout/internal error");
  }

  @Override
  public Response rcpt(Mailbox to) {
    if (tx == null || tx.done()) {
      return new Response(503, "5.5.1 failed precondition: MAIL");
    }
    int i = tx.addRcpt(to);
    chain.update(tx, new Delta(false, List.of(i), false));
    Response r = tx.rcptResponse(i);
    return r != null ? r : new Response(450, "4.3.0 RCPT upstream timeout/internal error");
  }

  /**
   * The message starts to arrive: it goes on to the router as it comes (PUT pieces), on a thread
   * of its own, while the server keeps reading it; {@link #data} then waits for the router's
   * answer. The router makes nothing of it until the server accepted the end of data.
   */
  @Override
  public void dataStarted(GrowingMessage message) {
    if (tx == null || tx.done() || streaming != null) {
      return;
    }
    streamed = new StreamedBody(message);
    tx.body(new Body.Raw(streamed));
    FilterTx t = tx;
    Chain c = chain;
    streaming = Thread.ofVirtual().name("smtp-data-stream").start(
        () -> c.update(t, new Delta(false, List.of(), true)));
  }

  @Override
  public Response data(MessageBody body) {
    if (tx == null || tx.done()) {
      return new Response(554, "5.5.1 no valid recipients");
    }
    if (streaming != null) {
      try {
        streaming.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Response(451, "4.3.0 interrupted");
      }
      streaming = null;
      Response r = tx.dataResponse();
      finish(false);
      return r != null ? r : new Response(450, "4.3.0 DATA upstream timeout/internal error");
    }
    tx.body(new Body.Raw(new BlobSource() {
      @Override
      public long length() {
        return body.size();
      }

      @Override
      public InputStream open() throws IOException {
        return body.open();
      }
    }));
    chain.update(tx, new Delta(false, List.of(), true));
    Response r = tx.dataResponse();
    finish(false);
    return r != null ? r : new Response(450, "4.3.0 DATA upstream timeout/internal error");
  }

  @Override
  public void reset() {
    finish(true);
  }

  private void finish(boolean cancel) {
    if (streaming != null) {
      // the message was refused or cut off: the upload stops, nothing was finalized
      streamed.abandon();
      try {
        streaming.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      streaming = null;
    }
    streamed = null;
    if (chain == null) {
      return;
    }
    if (cancel && !tx.done()) {
      tx.cancel();
    }
    try {
      chain.close();
    } finally {
      chain = null;
      tx = null;
    }
  }

  private boolean exempt(InetSocketAddress remote) {
    if (remote == null || remote.getAddress() == null) {
      return false;
    }
    return settings.authExempt().stream().anyMatch(c -> c.contains(remote.getAddress()));
  }

  private static HostPort hostPort(InetSocketAddress a) {
    if (a == null) {
      return null;
    }
    String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
    return new HostPort(host, a.getPort());
  }

  /** The growing SMTP message as the body of the REST transaction. */
  private static final class StreamedBody implements GrowingBlob {
    private final GrowingMessage message;
    private volatile boolean abandoned;

    StreamedBody(GrowingMessage message) {
      this.message = message;
    }

    void abandon() {
      abandoned = true;
    }

    @Override
    public long length() {
      return message.size();
    }

    @Override
    public boolean complete() {
      return !abandoned && message.complete();
    }

    @Override
    public boolean abandoned() {
      return abandoned || message.abandoned();
    }

    @Override
    public long awaitLength(long atLeast, long deadlineNanos) throws InterruptedException {
      // in slices, so that abandon() from the connection thread is seen soon
      while (true) {
        long slice = Math.min(deadlineNanos, System.nanoTime() + 100_000_000L);
        long n = message.awaitSize(atLeast, slice);
        if (n >= atLeast || complete() || abandoned() || System.nanoTime() >= deadlineNanos) {
          return n;
        }
      }
    }

    @Override
    public InputStream open(long offset, long length) throws IOException {
      return message.open(offset, length);
    }

    @Override
    public InputStream open() throws IOException {
      if (!complete()) {
        throw new IOException("message not complete");
      }
      return message.open(0, message.size());
    }
  }
}
