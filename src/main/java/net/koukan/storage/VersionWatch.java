package net.koukan.storage;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-process change notification per transaction: writers {@link #publish} the new version after
 * commit, waiters (long-poll GETs, output handlers) block on a virtual thread without touching
 * the database. Entries exist only while someone watches.
 */
public final class VersionWatch {

  private static final class Entry {
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    long version;
    int watchers;
  }

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  /** Announces that {@code restId} was committed at {@code version}. */
  public void publish(String restId, long version) {
    Entry e = entries.get(restId);
    if (e == null) {
      return;
    }
    e.lock.lock();
    try {
      if (version > e.version) {
        e.version = version;
        e.changed.signalAll();
      }
    } finally {
      e.lock.unlock();
    }
  }

  /**
   * Starts watching {@code restId}. Register before reading the current version from the
   * database, so that no write between the read and the wait is missed.
   */
  public Watch watch(String restId) {
    Entry e = entries.compute(restId, (k, v) -> {
      Entry n = v == null ? new Entry() : v;
      n.watchers++;
      return n;
    });
    return new Watch(restId, e);
  }

  int size() {
    return entries.size();
  }

  /** A registration; close it when done. */
  public final class Watch implements AutoCloseable {
    private final String restId;
    private final Entry entry;

    private Watch(String restId, Entry entry) {
      this.restId = restId;
      this.entry = entry;
    }

    /**
     * Waits until a version greater than {@code known} is published or the deadline passes.
     * Returns the published version, or -1 on timeout.
     */
    public long awaitNewer(long known, long deadlineNanos) throws InterruptedException {
      entry.lock.lock();
      try {
        while (entry.version <= known) {
          long left = deadlineNanos - System.nanoTime();
          if (left <= 0) {
            return -1;
          }
          entry.changed.awaitNanos(left);
        }
        return entry.version;
      } finally {
        entry.lock.unlock();
      }
    }

    /** Waits at most {@code timeout} for any version newer than {@code known}. */
    public long awaitNewer(long known, long timeout, TimeUnit unit) throws InterruptedException {
      return awaitNewer(known, System.nanoTime() + unit.toNanos(timeout));
    }

    @Override
    public void close() {
      entries.computeIfPresent(restId, (k, v) -> --v.watchers == 0 ? null : v);
    }
  }
}
