package net.koukan.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.tx.BodySpec;
import net.koukan.tx.Envelope;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: add_route} (spec §5.3): a copy of the transaction to a second route, the output
 * chain of {@code sender}/{@code tag} (a "system of record"). The copy is a stored transaction of
 * its own, so it shows in the REST API and survives a restart.
 *
 * <ul>
 *   <li>Synchronous (default): the copy is made step by step ahead of the main route and this
 *       filter waits for its answers ({@code rcpt_timeout}, {@code data_timeout}); an error of
 *       the copy is the answer downstream, with {@code " (AddRouteFilter upstream)"} appended,
 *       and that step is not passed on, so the client retries both. The copy is one attempt.
 *   <li>{@code store_and_forward: true}: once the main route has taken the message, the copy is
 *       written as a stored transaction with the retries of its own chain, and nothing waits
 *       for it; its failures never reach the client (and bounce nobody).
 * </ul>
 * The body the copy gets is the message as it is at this point of the chain (with the headers
 * earlier filters added); a body that was not rewritten is shared, not copied.
 */
public final class AddRouteFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(AddRouteFilter.class);
  static final String SUFFIX = " (AddRouteFilter upstream)";

  /** YAML options; timeouts in seconds. {@code output_chain} is accepted and ignored, as the reference. */
  public record Options(String sender, String tag, @Default("false") boolean storeAndForward,
      @Default("30") double rcptTimeout, @Default("300") double dataTimeout, String outputChain) {}

  /** {@code filter: add_route}. */
  public static final class Factory implements FilterFactory {
    private final Supplier<Storage> storage;
    private final RouterConfig config;
    private final Supplier<Delivery> delivery;
    private final Supplier<String> restIds;

    public Factory(Supplier<Storage> storage, RouterConfig config, Supplier<Delivery> delivery,
        Supplier<String> restIds) {
      this.storage = storage;
      this.config = config;
      this.delivery = delivery;
      this.restIds = restIds;
    }

    @Override
    public String name() {
      return "add_route";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.sender() == null || o.sender().isBlank()) {
        throw stanza.error("sender", "add_route needs the sender whose output chain gets the copy");
      }
      if (config.sender(o.sender(), o.tag()).isEmpty()) {
        throw stanza.error(o.tag() == null ? "sender" : "tag", "no sender " + o.sender()
            + (o.tag() == null ? "" : " with tag " + o.tag()) + " in this file");
      }
      if (o.rcptTimeout() <= 0 || o.dataTimeout() <= 0) {
        throw stanza.error(null, "timeouts must be positive");
      }
      long rcpt = (long) (o.rcptTimeout() * 1000);
      long data = (long) (o.dataTimeout() * 1000);
      return () -> new AddRouteFilter(storage.get(), delivery.get(), restIds, o.sender(), o.tag(),
          o.storeAndForward(), rcpt, data);
    }
  }

  private final Storage storage;
  private final Delivery delivery;
  private final Supplier<String> restIds;
  private final String sender;
  private final String tag;
  private final boolean storeAndForward;
  private final long rcptTimeout;
  private final long dataTimeout;

  /** The synchronous copy: its id, and our recipient index → its recipient index. */
  private String fork;
  private final Map<Integer, Integer> forkRcpts = new LinkedHashMap<>();
  private boolean forkDone;

  AddRouteFilter(Storage storage, Delivery delivery, Supplier<String> restIds, String sender, String tag,
      boolean storeAndForward, long rcptTimeout, long dataTimeout) {
    this.storage = storage;
    this.delivery = delivery;
    this.restIds = restIds;
    this.sender = sender;
    this.tag = tag;
    this.storeAndForward = storeAndForward;
    this.rcptTimeout = rcptTimeout;
    this.dataTimeout = dataTimeout;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (tx.cancelled()) {
      next.update(tx, delta);
      return;
    }
    if (storeAndForward) {
      next.update(tx, delta);
      if (delta.body() && (tx.dataResponse() == null || tx.dataResponse().ok())) {
        storeCopy(tx);
      }
      return;
    }
    next.update(tx, synchronous(tx, delta));
  }

  // ------------------------------------------------------------------ synchronous

  /**
   * Runs the copy for this delta; returns what is left for the main route. The copy is created
   * with its first recipients (MAIL alone could not be routed by its chain), so its MAIL answer
   * comes with them: a failed MAIL fails those recipients.
   */
  private Delta synchronous(FilterTx tx, Delta delta) {
    List<Integer> rcpts = new ArrayList<>(delta.rcpts());
    if (!rcpts.isEmpty()) {
      List<Mailbox> add = new ArrayList<>();
      for (int i : rcpts) {
        forkRcpts.put(i, forkRcpts.size());
        add.add(tx.rcptTo().get(i));
      }
      Response err;
      if (fork == null) {
        err = startFork(tx, add);
      } else {
        int offset = forkRcpts.size() - add.size();
        err = write(new TxDelta(null, null, null, add, offset, null, null, null, null));
      }
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rcptTimeout);
      for (var it = rcpts.iterator(); it.hasNext(); ) {
        int i = it.next();
        Response r = err != null ? err : await(deadline, row -> rcptResponse(row, forkRcpts.get(i)), "RCPT");
        if (!r.ok()) {
          tx.rcptResponse(i, failure(r));
          it.remove();
        }
      }
    }
    boolean body = delta.body();
    if (body && fork != null) {
      boolean anyOk = forkRcpts.keySet().stream()
          .anyMatch(i -> tx.rcptResponse(i) == null || tx.rcptResponse(i).ok());
      if (anyOk) {
        Response err = attachBody(fork, tx);
        Response r = err != null ? err : await(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(dataTimeout),
            row -> {
              Response d = ExploderOutput.response(row, "data_response");
              if (d == null && row.visibleFinalReason() != null) {
                d = new Response(451, "4.3.0 copy ended without a data response: " + row.visibleFinalReason());
              }
              return d;
            }, "DATA");
        forkDone = true;
        if (!r.ok()) {
          tx.dataResponse(failure(r));
          body = false;
        }
      }
    }
    return new Delta(delta.mailFrom(), rcpts, body);
  }

  /** Creates the copy with MAIL FROM and its first recipients and starts it; null when started. */
  private Response startFork(FilterTx tx, List<Mailbox> rcpts) {
    if (!delivery.tryReserveUpstream()) {
      return new Response(451, "4.3.0 add_route: server busy");
    }
    String id = restIds.get();
    try {
      Envelope env = Envelope.create(sender, tag, new TxDelta(tx.remoteHost(), tx.localHost(), tx.mailFrom(),
          rcpts, null, null, tx.smtpMeta(), null, null));
      storage.create(new Storage.NewTx(id, env, null, true, false, false, true));
    } catch (RuntimeException e) {
      delivery.unreserveUpstream();
      log.error("add_route: cannot create the copy", e);
      return new Response(451, "4.3.0 add_route: cannot store the copy");
    }
    fork = id;
    delivery.startReservedUpstream(id);
    return null;
  }

  /** Applies a delta to the copy, retrying version conflicts with its attempt; null when done. */
  private Response write(TxDelta d) {
    for (int i = 0; ; i++) {
      try {
        TxRow row = storage.read(fork).orElseThrow();
        storage.update(fork, row.version(), d);
        return null;
      } catch (net.koukan.storage.StorageException e) {
        if (e.kind() != net.koukan.storage.StorageException.Kind.VERSION_CONFLICT || i >= 50) {
          log.error("add_route: cannot update the copy {}", fork, e);
          return new Response(451, "4.3.0 add_route: cannot store the copy");
        }
      } catch (RuntimeException e) {
        log.error("add_route: cannot update the copy {}", fork, e);
        return new Response(451, "4.3.0 add_route: cannot store the copy");
      }
    }
  }

  private interface Field {
    Response of(TxRow row);
  }

  private Response await(long deadline, Field field, String what) {
    Response[] got = {null};
    ExploderOutput.awaitUntil(storage, fork, deadline, row -> {
      Response mail = ExploderOutput.response(row, "mail_response");
      if (mail != null && !mail.ok()) {
        got[0] = mail;
        return true;
      }
      got[0] = field.of(row);
      return got[0] != null;
    });
    return got[0] != null ? got[0] : new Response(451, "4.4.7 add_route: timeout waiting for the copy's " + what);
  }

  private static Response rcptResponse(TxRow row, int j) {
    if (row.responses() == null || !row.responses().has("rcpt_response")) {
      return null;
    }
    var a = row.responses().get("rcpt_response");
    return a.size() <= j || a.get(j).isNull() ? null : TxJson.response(a.get(j));
  }

  private static Response failure(Response r) {
    return new Response(r.code(), r.message() + SUFFIX);
  }

  // ------------------------------------------------------------------ store and forward

  private void storeCopy(FilterTx tx) {
    List<Mailbox> rcpts = new ArrayList<>();
    for (int i = 0; i < tx.rcptTo().size(); i++) {
      Response r = tx.rcptResponse(i);
      if (r == null || r.ok()) {
        rcpts.add(tx.rcptTo().get(i));
      }
    }
    if (rcpts.isEmpty()) {
      return;
    }
    String id = restIds.get();
    try {
      Envelope env = Envelope.create(sender, tag, new TxDelta(tx.remoteHost(), tx.localHost(), tx.mailFrom(),
          rcpts, null, null, tx.smtpMeta(), null, null));
      TxRow row = storage.create(new Storage.NewTx(id, env, null, true, true, false, true));
      Response err = attachBody(id, tx);
      if (err != null) {
        storage.cancel(id);
        return;
      }
      delivery.created(storage.read(id).orElse(row));
      log.info("add_route: tx {} copied to {} ({}{})", tx.restId(), id, sender, tag == null ? "" : "/" + tag);
    } catch (RuntimeException e) {
      // the main route has the message: the copy is best effort, as the reference
      log.error("add_route: cannot store the copy of {}", tx.restId(), e);
    }
  }

  // ------------------------------------------------------------------ body

  /**
   * Gives the copy the message as this filter sees it: the stored body shared when it was not
   * rewritten, else streamed into the copy's own blob. Null when done.
   */
  private Response attachBody(String id, FilterTx tx) {
    try {
      if (tx.body() instanceof Body.Raw raw && !(raw.blob() instanceof StoredBlob)) {
        byte[] buf = new byte[1 << 20];
        long offset = 0;
        try (InputStream in = raw.blob().open()) {
          while (true) {
            int n = in.readNBytes(buf, 0, buf.length);
            boolean last = n < buf.length;
            storage.append(id, Storage.BODY, offset, buf, n, last ? offset + n : null);
            offset += n;
            if (last) {
              break;
            }
          }
        }
      } else {
        BodySpec shared = ExploderOutput.sharedBody(tx);
        storage.attachBody(id, shared);
      }
      return null;
    } catch (IOException | RuntimeException e) {
      log.error("add_route: cannot give the copy {} its body", id, e);
      return new Response(451, "4.3.0 add_route: cannot store the copy");
    }
  }

  /** A synchronous copy nobody waits for any more (downstream cancelled or gave up) is cancelled. */
  @Override
  public void close() {
    if (fork != null && !forkDone) {
      try {
        storage.cancel(fork);
      } catch (RuntimeException e) {
        log.warn("add_route: cannot cancel the copy {}: {}", fork, e.getMessage());
      }
    }
  }
}
