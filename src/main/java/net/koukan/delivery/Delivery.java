package net.koukan.delivery;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import net.koukan.config.EffectiveSender;
import net.koukan.config.RouterConfig;
import net.koukan.filter.ChainTemplate;
import net.koukan.rest.Dispatcher;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs attempts: cut-through for transactions created over REST (handed over in memory, already
 * leased), and everything else through the {@link Dequeuer}. At most {@code max_inflight} attempts
 * run at once; a REST-created transaction that finds no capacity is left to the dequeuer.
 */
public final class Delivery implements Dispatcher, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Delivery.class);

  private final Storage storage;
  private final ChainSelector chains;
  private final Clock clock;
  private final OutputHandler.Notifier notifier;
  private final Semaphore capacity;
  /**
   * The Exploder's per-recipient attempts have capacity of their own: the attempts that create
   * them hold a slot of {@link #capacity} while they wait, so sharing one pool could starve both.
   */
  private final Semaphore upstreamCapacity;
  private final Dequeuer dequeuer;

  /** Which chain delivers a transaction (null: none configured). */
  @FunctionalInterface
  public interface ChainSelector {
    ChainTemplate select(String sender, String tag);

    /** The router's rule: the sender/tag's {@code output_chain}. */
    static ChainSelector of(RouterConfig config, Map<String, ChainTemplate> chains) {
      return (sender, tag) -> {
        Optional<EffectiveSender> s = config.sender(sender, tag);
        return s.map(e -> chains.get(e.outputChain())).orElse(null);
      };
    }
  }

  public Delivery(Storage storage, ChainSelector chains, Clock clock,
      OutputHandler.Notifier notifier, int maxInflight, long dequeueIdleMillis) {
    this.storage = storage;
    this.chains = chains;
    this.clock = clock;
    this.notifier = notifier;
    this.capacity = new Semaphore(maxInflight);
    this.upstreamCapacity = new Semaphore(maxInflight);
    this.dequeuer = new Dequeuer(storage, clock, capacity, this::attempt, dequeueIdleMillis);
  }

  public Delivery start(boolean dequeue) {
    if (dequeue) {
      dequeuer.start();
    }
    return this;
  }

  public void wake() {
    dequeuer.wake();
  }

  @Override
  public boolean cutThrough() {
    return true;
  }

  @Override
  public void created(TxRow row) {
    if (!tryReserve()) {
      storage.releaseLease(row.restId());
      dequeuer.wake();
      return;
    }
    startReserved(row.restId());
  }

  /** Reserves capacity for one attempt; pair with {@link #startReserved} or {@link #unreserve}. */
  public boolean tryReserve() {
    return capacity.tryAcquire();
  }

  public void unreserve() {
    capacity.release();
  }

  /** Starts an attempt of a transaction leased to this session with reserved capacity. */
  public void startReserved(String restId) {
    start(restId, capacity);
  }

  /** As {@link #tryReserve}, from the Exploder's own pool for per-recipient upstream attempts. */
  public boolean tryReserveUpstream() {
    return upstreamCapacity.tryAcquire();
  }

  public void unreserveUpstream() {
    upstreamCapacity.release();
  }

  public void startReservedUpstream(String restId) {
    start(restId, upstreamCapacity);
  }

  private void start(String restId, Semaphore pool) {
    Thread.ofVirtual().name("attempt-" + restId).start(() -> {
      try {
        attempt(restId);
      } finally {
        pool.release();
      }
    });
  }

  /** One attempt of a leased transaction with the chain its sender/tag selects. */
  void attempt(String restId) {
    Optional<TxRow> row = storage.read(restId);
    if (row.isEmpty()) {
      return;
    }
    var env = row.get().envelope();
    ChainTemplate chain = chains.select(env.sender(), env.tag());
    if (chain == null) {
      log.error("{}: sender {} tag {} has no output chain in the configuration; retrying later",
          restId, env.sender(), env.tag());
      storage.finishAttempt(restId, clock.millis() + 3_600_000, null);
      return;
    }
    new OutputHandler(storage, chain, clock, notifier, dequeuer::wake).run(restId);
  }

  @Override
  public void close() {
    dequeuer.close();
  }
}
