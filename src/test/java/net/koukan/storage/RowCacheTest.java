package net.koukan.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.koukan.tx.Envelope;
import net.koukan.tx.Mailbox;
import net.koukan.tx.TxDelta;
import org.junit.jupiter.api.Test;

class RowCacheTest {
  static TxRow row(String restId, long version) {
    Envelope env = Envelope.create("submission", null, new TxDelta(null, null,
        Mailbox.of("alice@example.com"), List.of(), null, null, null, null, null));
    return new TxRow(1, restId, version, env, BodyKind.NONE, null, false, false, false, false,
        null, 0, null, null, null, 0, 0, null, List.of());
  }

  @Test
  void aRowIsServedUntilItsTransactionIsMarkedChanged() {
    RowCache cache = new RowCache();
    RowCache.Tag tag = cache.tag("a");
    cache.put("a", row("a", 1), tag);
    cache.put("b", row("b", 1), cache.tag("b"));
    assertThat(cache.get("a").version()).isEqualTo(1);
    cache.changed("a");
    assertThat(cache.get("a")).isNull();
    assertThat(cache.get("b")).isNotNull();
    cache.changedAll();
    assertThat(cache.get("b")).isNull();
  }

  @Test
  void aReadThatAWriteOvertookIsNeverServed() {
    RowCache cache = new RowCache();
    // the reader takes its tag, then a write commits and marks the row, then the reader,
    // holding what it read before the commit, tries to keep it
    RowCache.Tag before = cache.tag("a");
    cache.changed("a");
    cache.put("a", row("a", 1), before);
    assertThat(cache.get("a")).isNull();
    // the same after a write of wider reach
    RowCache.Tag before2 = cache.tag("a");
    cache.changedAll();
    cache.put("a", row("a", 1), before2);
    assertThat(cache.get("a")).isNull();
    // a read made after the write is kept
    RowCache.Tag after = cache.tag("a");
    cache.put("a", row("a", 2), after);
    assertThat(cache.get("a").version()).isEqualTo(2);
  }

  @Test
  void aWriteOfKnownEffectCarriesTheRowOnlyFromTheVersionJustBefore() {
    RowCache cache = new RowCache();
    cache.put("a", row("a", 3), cache.tag("a"));
    cache.changedFrom("a", 4, r -> row("a", r.version() + 1));
    assertThat(cache.get("a").version()).isEqualTo(4);
    // a write that skipped a version (another write was not seen): dropped, not derived
    cache.changedFrom("a", 6, r -> row("a", r.version() + 1));
    assertThat(cache.get("a")).isNull();
    // an entry no longer current is not derived from
    cache.put("b", row("b", 1), cache.tag("b"));
    RowCache.Tag old = cache.tag("c");
    cache.changed("b");
    cache.put("b", row("b", 1), old);
    cache.changedFrom("b", 2, r -> row("b", 2));
    assertThat(cache.get("b")).isNull();
  }

  @Test
  void theCacheIsBounded() {
    RowCache cache = new RowCache();
    for (int i = 0; i < RowCache.MAX_ENTRIES + 10; i++) {
      String id = "t" + i;
      cache.put(id, row(id, 1), cache.tag(id));
    }
    assertThat(cache.size()).isLessThanOrEqualTo(RowCache.MAX_ENTRIES);
  }
}
