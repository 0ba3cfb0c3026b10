package net.koukan.delivery;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.EffectiveSender;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.storage.VersionWatch;
import net.koukan.tx.BlobRef;
import net.koukan.tx.BodySpec;
import net.koukan.tx.Envelope;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: exploder} (spec §7): fans a multi-recipient SMTP-style transaction out into one
 * stored upstream transaction per recipient, each run at once through the upstream sender's chain
 * (cut-through), and answers RCPT and DATA with the upstream's authoritative responses when they
 * come in time. Otherwise it falls back to store-and-forward: in {@code msa} mode temporary
 * failures and timeouts become 250 and the upstream transaction gets retries and a bounce; in mx
 * mode they are passed on, because MX peers retry themselves. Mixed DATA outcomes over several
 * recipients become 250 with store-and-forward for the ones that did not succeed.
 */
public final class ExploderOutput implements Filter {
  private static final Logger log = LoggerFactory.getLogger(ExploderOutput.class);

  /** YAML options; timeouts in seconds, defaults by mode (msa 5/30, mx 30/300). */
  public record Options(@Default("false") boolean msa, Double rcptTimeout, Double dataTimeout,
      String outputChain) {}

  /** {@code filter: exploder}. */
  public static final class Factory implements FilterFactory {
    private final Supplier<Storage> storage;
    private final RouterConfig config;
    private final Supplier<Delivery> delivery;
    private final Clock clock;
    private final Supplier<String> restIds;
    private final Supplier<OutputHandler.Notifier> notifier;

    /** Storage and delivery are created after the chains are checked: they are looked up per attempt. */
    public Factory(Supplier<Storage> storage, RouterConfig config, Supplier<Delivery> delivery, Clock clock,
        Supplier<String> restIds, Supplier<OutputHandler.Notifier> notifier) {
      this.notifier = notifier;
      this.storage = storage;
      this.config = config;
      this.delivery = delivery;
      this.clock = clock;
      this.restIds = restIds;
    }

    @Override
    public String name() {
      return "exploder";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      long rcpt = (long) ((o.rcptTimeout() != null ? o.rcptTimeout() : o.msa() ? 5 : 30) * 1000);
      long data = (long) ((o.dataTimeout() != null ? o.dataTimeout() : o.msa() ? 30 : 300) * 1000);
      if (rcpt <= 0 || data <= 0) {
        throw stanza.error(null, "timeouts must be positive");
      }
      return () -> new ExploderOutput(storage.get(), config, delivery.get(), clock, restIds,
          notifier.get(), o.msa(), rcpt, data);
    }
  }

  /** One recipient's upstream transaction. */
  private static final class Upstream {
    final int index;
    final String restId;
    Response rcpt;
    Response data;
    boolean storeAndForward;

    Upstream(int index, String restId) {
      this.index = index;
      this.restId = restId;
    }
  }

  private final Storage storage;
  private final RouterConfig config;
  private final Delivery delivery;
  private final Clock clock;
  private final Supplier<String> restIds;
  private final OutputHandler.Notifier notifier;
  private final boolean msa;
  private final long rcptTimeout;
  private final long dataTimeout;
  private final List<Upstream> upstreams = new ArrayList<>();

  ExploderOutput(Storage storage, RouterConfig config, Delivery delivery, Clock clock,
      Supplier<String> restIds, OutputHandler.Notifier notifier, boolean msa, long rcptTimeout,
      long dataTimeout) {
    this.notifier = notifier;
    this.storage = storage;
    this.config = config;
    this.delivery = delivery;
    this.clock = clock;
    this.restIds = restIds;
    this.msa = msa;
    this.rcptTimeout = rcptTimeout;
    this.dataTimeout = dataTimeout;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom()) {
      tx.mailResponse(new Response(250, "2.1.0 MAIL ok (exploder noop)"));
    }
    if (!delta.rcpts().isEmpty()) {
      List<Upstream> fresh = new ArrayList<>();
      for (int i : delta.rcpts()) {
        Upstream u = start(tx, i);
        if (u != null) {
          fresh.add(u);
        }
      }
      awaitRcpts(fresh, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rcptTimeout));
      for (Upstream u : fresh) {
        tx.rcptResponse(u.index, shapeRcpt(u));
      }
    }
    if (delta.body()) {
      data(tx);
    }
  }

  /** Creates and starts the upstream transaction for recipient {@code i}. */
  private Upstream start(FilterTx tx, int i) {
    EffectiveSender down = config.sender(tx.sender(), tx.tag()).orElse(null);
    if (down == null) {
      tx.rcptResponse(i, new Response(451, "4.3.0 exploder: sender no longer configured"));
      return null;
    }
    if (!delivery.tryReserveUpstream()) {
      tx.rcptResponse(i, new Response(451, "4.5.3 too many recipients (exploder: server busy)"));
      return null;
    }
    String id = restIds.get();
    Mailbox rcpt = tx.rcptTo().get(i);
    try {
      Envelope env = Envelope.create(down.upstreamSender(), down.upstreamTag(), new TxDelta(
          tx.remoteHost(), tx.localHost(), tx.mailFrom(), List.of(rcpt), null, null,
          tx.smtpMeta(), null, null));
      storage.create(new Storage.NewTx(id, env, null, true, false, false, true));
    } catch (RuntimeException e) {
      delivery.unreserveUpstream();
      log.error("exploder: cannot create the upstream transaction", e);
      tx.rcptResponse(i, new Response(451, "4.3.0 exploder: cannot queue the recipient"));
      return null;
    }
    delivery.startReservedUpstream(id);
    Upstream u = new Upstream(i, id);
    upstreams.add(u);
    return u;
  }

  private void awaitRcpts(List<Upstream> us, long deadline) {
    for (Upstream u : us) {
      awaitUntil(u, deadline, row -> {
        Response mail = response(row, "mail_response");
        if (mail != null && !mail.ok()) {
          u.rcpt = new Response(mail.code(), mail.message() + " (RCPT failed precondition MAIL)");
          return true;
        }
        u.rcpt = rcptResponse(row);
        return u.rcpt != null;
      });
    }
  }

  private Response shapeRcpt(Upstream u) {
    if (u.rcpt == null) {
      if (msa) {
        storeAndForward(u);
        return new Response(250, "2.1.5 RCPT ok (exploder store&forward: upstream timeout)");
      }
      return new Response(450, "4.4.7 upstream timeout (exploder)");
    }
    if (u.rcpt.temporary() && msa) {
      storeAndForward(u);
      return new Response(250, "2.1.5 RCPT ok (exploder store&forward)");
    }
    return u.rcpt;
  }

  private void data(FilterTx tx) {
    List<Upstream> accepted = upstreams.stream()
        .filter(u -> tx.rcptResponse(u.index) != null && tx.rcptResponse(u.index).ok()).toList();
    BodySpec body = sharedBody(tx);
    for (Upstream u : accepted) {
      storage.attachBody(u.restId, body);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(dataTimeout);
    for (Upstream u : accepted) {
      awaitUntil(u, deadline, row -> {
        u.data = response(row, "data_response");
        if (u.data == null && row.visibleFinalReason() != null) {
          u.data = new Response(451, "4.3.0 upstream ended without a data response: "
              + row.visibleFinalReason());
        }
        return u.data != null;
      });
    }
    if (accepted.isEmpty()) {
      return; // the chain answers "all rcpts failed"
    }
    // timeouts and temporary failures: msa stores and forwards, mx passes them on
    List<Response> shaped = new ArrayList<>();
    for (Upstream u : accepted) {
      Response d = u.data;
      if (u.storeAndForward) {
        d = new Response(250, "2.0.0 DATA ok (exploder store&forward)");
      } else if (d == null) {
        d = msa ? sf(u) : new Response(450, "4.4.7 upstream timeout (exploder)");
      } else if (d.temporary() && msa) {
        d = sf(u);
      }
      shaped.add(d);
    }
    if (shaped.size() == 1) {
      tx.dataResponse(shaped.get(0));
      return;
    }
    int cls = shaped.get(0).code() / 100;
    if (shaped.stream().allMatch(r -> r.code() / 100 == cls)) {
      Response first = shaped.get(0);
      tx.dataResponse(new Response(first.code(), first.message() + " (Exploder same response)"));
      return;
    }
    // mixed: the downstream is stored, so 250 is safe; failures become bounces
    for (int k = 0; k < accepted.size(); k++) {
      if (!shaped.get(k).ok()) {
        storeAndForward(accepted.get(k));
      }
    }
    tx.dataResponse(new Response(250, "2.0.0 DATA ok (Exploder store&forward)"));
  }

  private Response sf(Upstream u) {
    storeAndForward(u);
    return new Response(250, "2.0.0 DATA ok (exploder store&forward)");
  }

  /** The upstream transactions share the downstream's finished body (no copy). */
  static BodySpec sharedBody(FilterTx tx) {
    String down = tx.restId();
    if (tx.body() instanceof Body.Builder b) {
      List<BodySpec.BuilderBlob> blobs = new ArrayList<>();
      for (Map.Entry<String, ?> e : b.blobs().entrySet()) {
        blobs.add(new BodySpec.BuilderBlob(e.getKey(),
            new BodySpec.ReuseBlob(new BlobRef(down, e.getKey()))));
      }
      return new BodySpec.Builder(b.spec(), blobs);
    }
    return new BodySpec.Reuse(new BlobRef(down, null));
  }

  private void storeAndForward(Upstream u) {
    if (u.storeAndForward) {
      return;
    }
    u.storeAndForward = true;
    // a reopened transaction waits for its own chain's retry schedule, as if it had had retries
    TxRow row = storage.read(u.restId).orElse(null);
    long next = clock.millis();
    if (row != null) {
      var params = config.sender(row.envelope().sender(), row.envelope().tag())
          .flatMap(s -> config.findEndpoint(s.outputChain()))
          .map(e -> e.outputHandler().retryParams()).orElse(null);
      RetryPolicy.Decision d = RetryPolicy.decide(params, true, Math.max(1, row.attemptCount()),
          row.creation(), clock.millis());
      if (d.nextAttemptTime() != null) {
        next = d.nextAttemptTime();
      }
    }
    Storage.StoreAndForward r = storage.enableStoreAndForward(u.restId, RetryPolicy.MAX_ATTEMPTS, next);
    if (r.reopened()) {
      delivery.wake();
    }
    String reason = r.finalReason();
    if (reason != null && !reason.equals(OutputHandler.SUCCESS) && !reason.equals(TxRow.ONESHOT)
        && row != null && notifier != null) {
      // already failed for good before store-and-forward: the bounce is owed now
      var notification = config.sender(row.envelope().sender(), row.envelope().tag())
          .flatMap(s -> config.findEndpoint(s.outputChain()))
          .map(e -> e.outputHandler().notification()).orElse(null);
      TxRow fresh = storage.read(u.restId).orElse(row);
      if (notification != null) {
        Response cause = response(fresh, "data_response");
        if (cause == null) {
          cause = rcptResponse(fresh);
        }
        notifier.finalFailure(fresh, cause, notification);
      } else {
        log.warn("exploder: upstream {} failed ({}) and its chain has no notification", u.restId, reason);
      }
    }
    log.info("exploder: upstream {} is now store-and-forward{}", u.restId,
        r.finalReason() != null && !r.finalReason().equals(TxRow.ONESHOT)
            ? " (already final: " + r.finalReason() + ")" : "");
  }

  /** Waits on an upstream transaction until {@code done} holds or the deadline passes. */
  private void awaitUntil(Upstream u, long deadline, java.util.function.Predicate<TxRow> done) {
    awaitUntil(storage, u.restId, deadline, done);
  }

  /** Waits on transaction {@code restId} until {@code done} holds or {@code deadline} (nanoTime) passes. */
  static void awaitUntil(Storage storage, String restId, long deadline, java.util.function.Predicate<TxRow> done) {
    while (true) {
      try (VersionWatch.Watch w = storage.watch().watch(restId)) {
        TxRow row = storage.read(restId).orElse(null);
        if (row == null || done.test(row)) {
          return;
        }
        if (w.awaitNewer(row.version(), deadline) < 0) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static Response response(TxRow row, String field) {
    if (row.responses() == null || !row.responses().has(field) || row.responses().get(field).isNull()) {
      return null;
    }
    return TxJson.response(row.responses().get(field));
  }

  private static Response rcptResponse(TxRow row) {
    if (row.responses() == null || !row.responses().has("rcpt_response")) {
      return null;
    }
    var a = row.responses().get("rcpt_response");
    return a.isEmpty() || a.get(0).isNull() ? null : TxJson.response(a.get(0));
  }

  /** Cancels upstream work nobody waits for any more (downstream cancel or timeout). */
  @Override
  public void close() {
    for (Upstream u : upstreams) {
      if (u.data == null && !u.storeAndForward) {
        try {
          storage.cancel(u.restId);
        } catch (RuntimeException e) {
          log.warn("exploder: cannot cancel upstream {}: {}", u.restId, e.getMessage());
        }
      }
    }
  }
}
