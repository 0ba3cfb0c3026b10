package net.koukan.storage;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.UnaryOperator;

/**
 * Transactions as last read, for a database only this process writes (embedded SQLite: the file
 * lock keeps other processes out). The relay path reads a transaction about 28 times per message
 * (long-polls, output handlers, the exploder) and most of those reads find what the previous one
 * found.
 *
 * <p>Exact, not time-based: every write through {@link Storage} marks the transaction it may
 * change ({@link #changed}) once committed, in commit order and before it wakes anyone; a write
 * whose reach is wider (sessions, GC) marks everything ({@link #changedAll}). An entry is
 * served only while the marks it was read under are still current; a read tags itself before it
 * reads the database, so a write that commits during the read leaves an entry never served.
 * (Keeping the row a write leaves, read inside the write, measured slower: it lengthens the
 * one writer's turn.)
 */
final class RowCache {
  /** Marks are kept per stripe of transaction ids; a collision only costs a re-read. */
  private static final int STRIPES = 1 << 12;
  /** Entries kept at most; past that the cache starts over. */
  static final int MAX_ENTRIES = 20_000;

  /** The marks a read was made under. */
  record Tag(long all, long stripe) {}

  private record Entry(TxRow row, Tag tag) {}

  private final AtomicLongArray stripes = new AtomicLongArray(STRIPES);
  private final AtomicLong all = new AtomicLong();
  private final ConcurrentHashMap<String, Entry> rows = new ConcurrentHashMap<>();

  private static int stripe(String restId) {
    int h = restId.hashCode();
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }

  /** The marks now: take them before reading the database. */
  Tag tag(String restId) {
    return new Tag(all.get(), stripes.get(stripe(restId)));
  }

  /** The row last read for {@code restId} if nothing changed it since, else null. */
  TxRow get(String restId) {
    Entry e = rows.get(restId);
    if (e == null) {
      return null;
    }
    if (!e.tag().equals(tag(restId))) {
      rows.remove(restId, e);
      return null;
    }
    return e.row();
  }

  /** Remembers {@code row}, read from the database under {@code tag}. */
  void put(String restId, TxRow row, Tag tag) {
    if (!tag.equals(tag(restId))) {
      return; // changed while it was read
    }
    if (rows.size() >= MAX_ENTRIES) {
      rows.clear();
    }
    rows.put(restId, new Entry(row, tag));
  }

  /** A write that may have changed {@code restId} committed. Called in commit order. */
  void changed(String restId) {
    stripes.incrementAndGet(stripe(restId));
    rows.remove(restId);
  }

  /**
   * A write whose whole effect is known committed, leaving {@code restId} at {@code version}: a
   * row cached (and still valid) at the version before becomes {@code derive} of it; anything
   * else is dropped. Exact because writes mark rows in commit order: a valid entry one version
   * behind is the row as this write found it.
   */
  void changedFrom(String restId, long version, UnaryOperator<TxRow> derive) {
    Entry e = rows.get(restId);
    boolean current = e != null && e.tag().equals(tag(restId));
    stripes.incrementAndGet(stripe(restId));
    if (!current || e.row().version() != version - 1) {
      rows.remove(restId);
      return;
    }
    TxRow after = derive.apply(e.row());
    if (after == null || after.version() != version) {
      rows.remove(restId);
      return;
    }
    rows.put(restId, new Entry(after, tag(restId)));
  }

  /** A write that may have changed any transaction committed. */
  void changedAll() {
    all.incrementAndGet();
    rows.clear();
  }

  int size() {
    return rows.size();
  }
}
