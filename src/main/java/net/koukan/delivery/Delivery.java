package net.koukan.delivery;

import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
  /** The attempts running now, by thread (self-fencing interrupts them). */
  private final Map<Thread, String> running = new ConcurrentHashMap<>();
  private volatile boolean fenced;
  /** Leases held by this session without a running attempt at the last audit. */
  private Set<String> orphanCandidates = Set.of();

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
    if (fenced) {
      return; // the lease goes with the stale session; whoever claims it runs it
    }
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

  /**
   * Self-fencing: this router's storage session went stale, so another replica may take over its
   * leases. Stops claiming work and interrupts every running attempt (their lease-checked
   * writes would be refused anyway). {@link #unfence} resumes once a new session is live.
   */
  public void fence() {
    fenced = true;
    dequeuer.pause();
    running.keySet().forEach(Thread::interrupt);
  }

  public void unfence() {
    fenced = false;
    dequeuer.resume();
  }

  public boolean fenced() {
    return fenced;
  }

  /** Attempts running now. */
  public int running() {
    return running.size();
  }

  /**
   * Releases leases this session holds with no attempt running for them, seen so at two audits in
   * a row (an attempt just handed over is not yet registered at the first): what an attempt
   * could not release because the database was away. Returns how many were released.
   */
  public int auditLeases() {
    if (fenced) {
      return 0;
    }
    Set<String> idle = new HashSet<>(storage.leasedHere());
    idle.removeAll(running.values());
    Set<String> release = new HashSet<>(idle);
    release.retainAll(orphanCandidates);
    orphanCandidates = idle;
    for (String id : release) {
      if (!running.containsValue(id)) {
        log.warn("{}: leased by this router with no attempt running; releasing it", id);
        storage.releaseLease(id);
      }
    }
    if (!release.isEmpty()) {
      dequeuer.wake();
    }
    return release.size();
  }

  /** One attempt of a leased transaction with the chain its sender/tag selects. */
  void attempt(String restId) {
    if (fenced) {
      return;
    }
    Thread self = Thread.currentThread();
    running.put(self, restId);
    try {
      attemptRegistered(restId);
    } finally {
      running.remove(self);
    }
  }

  private void attemptRegistered(String restId) {
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
