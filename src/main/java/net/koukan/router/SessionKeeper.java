package net.koukan.router;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import net.koukan.delivery.Delivery;
import net.koukan.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this router's storage session live (spec §4.3) and fences it when it is not.
 *
 * <p>Every {@code interval}: refresh the session row; declare dead the sessions silent for
 * {@code ttl} = 10 × interval (which releases their leases, so the dequeuers take their work
 * over) — but only after this router itself has been refreshing without a gap for {@code ttl}, so
 * that routers coming back from a database outage together do not declare each other dead; and
 * release leases this router holds with no attempt running (what an attempt could not release
 * while the database was away).
 *
 * <p>Self-fencing: when the refresh has failed for {@code fenceAfter} = 5 × interval (checked by a
 * watchdog that does not touch the database, so a hanging connection cannot delay it), or the
 * refresh finds the session declared dead, delivery is fenced: running attempts are interrupted
 * and nothing is claimed. Another replica can only take the leases over after {@code ttl}, by
 * which time this one has stopped. Once the database answers again the old session is ended
 * (releasing whatever it still held) and a new one is started, and delivery resumes: no restart.
 */
public final class SessionKeeper implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionKeeper.class);

  private final Storage storage;
  private final Delivery delivery;
  private final String sessionUri;
  private final LongSupplier nanos;
  private final long intervalMillis;
  private final long ttlMillis;
  private final long fenceAfterMillis;
  private final Object lock = new Object();
  private long lastOk;
  private long healthySince;
  private boolean fenced;
  private String problem;
  private ScheduledExecutorService timer;

  /**
   * @param monotonicNanos elapsed time ({@code System::nanoTime}): silence is measured on it, not
   *     on the wall clock, which tests move and NTP may step
   */
  public SessionKeeper(Storage storage, Delivery delivery, String sessionUri, Duration interval,
      LongSupplier monotonicNanos) {
    this.storage = storage;
    this.delivery = delivery;
    this.sessionUri = sessionUri;
    this.nanos = monotonicNanos;
    this.intervalMillis = Math.max(100, interval.toMillis());
    this.ttlMillis = ttl(interval).toMillis();
    this.fenceAfterMillis = 5 * intervalMillis;
    this.lastOk = nowMillis();
    this.healthySince = lastOk - ttlMillis; // a new router may judge others at once
  }

  /** How long a session may stay silent before other replicas declare it dead. */
  public static Duration ttl(Duration interval) {
    return Duration.ofMillis(Math.max(100, interval.toMillis())).multipliedBy(10);
  }

  public SessionKeeper start() {
    timer = Executors.newScheduledThreadPool(2,
        Thread.ofPlatform().name("session-keeper-", 0).daemon(true).factory());
    timer.scheduleWithFixedDelay(this::tick, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    long watch = Math.max(50, intervalMillis / 2);
    timer.scheduleAtFixedRate(this::watchdog, watch, watch, TimeUnit.MILLISECONDS);
    return this;
  }

  /** One refresh round (the timer calls it; tests may too). */
  public void tick() {
    try {
      boolean live = storage.refreshSession();
      long now = nowMillis();
      boolean restart;
      synchronized (lock) {
        if (!live && !fenced) {
          fenceLocked("the storage session was declared dead by another replica");
        }
        restart = fenced;
      }
      if (restart) {
        long id = storage.restartSession(sessionUri);
        synchronized (lock) {
          fenced = false;
          problem = null;
          healthySince = now;
        }
        log.warn("storage session restarted as {}; delivery resumes", id);
        delivery.unfence();
      }
      synchronized (lock) {
        if (now - lastOk > fenceAfterMillis) {
          healthySince = now; // this router was silent itself: it cannot judge others yet
        }
        lastOk = now;
        problem = null;
      }
      if (now - healthySince() >= ttlMillis) {
        int released = storage.expireSessions(Duration.ofMillis(ttlMillis));
        if (released > 0) {
          log.info("released {} leases of dead sessions", released);
          delivery.wake();
        }
      }
      delivery.auditLeases();
    } catch (RuntimeException e) {
      log.warn("session refresh failed: {}", e.getMessage());
      synchronized (lock) {
        problem = "storage unreachable: " + e.getMessage();
      }
      watchdog();
    }
  }

  /** Fences delivery when the session has not been refreshed for too long. No database access. */
  void watchdog() {
    synchronized (lock) {
      long silent = nowMillis() - lastOk;
      if (!fenced && silent > fenceAfterMillis) {
        fenceLocked("the storage session was not refreshed for " + silent + " ms");
      }
    }
  }

  private long nowMillis() {
    return TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong());
  }

  private void fenceLocked(String why) {
    fenced = true;
    problem = why;
    log.error("self-fencing: {}; stopping every attempt until a new session is live", why);
    delivery.fence();
  }

  private long healthySince() {
    synchronized (lock) {
      return healthySince;
    }
  }

  /** Why this router is not ready (fenced, or its last refresh failed), or empty. */
  public Optional<String> problem() {
    synchronized (lock) {
      if (fenced) {
        return Optional.of("fenced: " + problem);
      }
      if (nowMillis() - lastOk > 3 * intervalMillis) {
        return Optional.of("storage session not refreshed for " + (nowMillis() - lastOk) + " ms");
      }
      return Optional.ofNullable(problem);
    }
  }

  public boolean fenced() {
    synchronized (lock) {
      return fenced;
    }
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }
}
