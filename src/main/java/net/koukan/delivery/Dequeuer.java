package net.koukan.delivery;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import net.koukan.storage.Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background loop that starts attempts the REST path did not (spec §4.4): retries whose time
 * has come, transactions released by a dead session, bounces waiting to be sent. It sleeps until
 * the earliest {@code next_attempt_time} in the database (at most {@code maxIdle}), or until
 * {@link #wake} says there is new work, so it never spins.
 */
public final class Dequeuer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dequeuer.class);

  private final Storage storage;
  private final Clock clock;
  private final Semaphore capacity;
  private final Consumer<String> attempt;
  private final long maxIdleMillis;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wakeup = lock.newCondition();
  private boolean woken;
  private volatile boolean running = true;
  /** Self-fenced: claim nothing until {@link #resume}. */
  private volatile boolean paused;
  private Thread thread;

  /**
   * @param capacity shared with the cut-through path: attempts in flight at once
   * @param attempt runs one attempt of a leased transaction (on the calling virtual thread)
   */
  public Dequeuer(Storage storage, Clock clock, Semaphore capacity, Consumer<String> attempt,
      long maxIdleMillis) {
    this.storage = storage;
    this.clock = clock;
    this.capacity = capacity;
    this.attempt = attempt;
    this.maxIdleMillis = maxIdleMillis;
  }

  public Dequeuer start() {
    thread = Thread.ofVirtual().name("dequeue").start(this::loop);
    return this;
  }

  /** There may be work due now. */
  public void wake() {
    lock.lock();
    try {
      woken = true;
      wakeup.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Stops claiming work (the session is stale) until {@link #resume}. */
  public void pause() {
    paused = true;
  }

  public void resume() {
    paused = false;
    wake();
  }

  private void loop() {
    while (running) {
      try {
        if (paused) {
          sleep(maxIdleMillis);
          continue;
        }
        capacity.acquire();
        Optional<String> id;
        try {
          id = storage.claimNext();
        } catch (RuntimeException e) {
          capacity.release();
          log.warn("dequeue: {}", e.getMessage());
          sleep(1000);
          continue;
        }
        if (id.isPresent()) {
          String restId = id.get();
          Thread.ofVirtual().name("attempt-" + restId).start(() -> {
            try {
              attempt.accept(restId);
            } finally {
              capacity.release();
            }
          });
          continue; // there may be more
        }
        capacity.release();
        long wait = maxIdleMillis;
        Optional<Long> next = storage.nextAttemptTime();
        if (next.isPresent()) {
          wait = Math.max(1, Math.min(wait, next.get() - clock.millis()));
        }
        sleep(wait);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("dequeue loop", e);
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  private void sleep(long millis) throws InterruptedException {
    lock.lock();
    try {
      long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
      while (!woken && nanos > 0 && running) {
        nanos = wakeup.awaitNanos(nanos);
      }
      woken = false;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }
}
