package net.koukan.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
  @TempDir Path dir;

  @Test
  void sqliteFileBelongsToOneDatabaseAtATime() {
    String url = "jdbc:sqlite:" + dir.resolve("sub/dir/k.db");
    try (Database first = Database.open(url, 2, null)) {
      assertThat(first.dialect()).isEqualTo(Database.Dialect.SQLITE);
      assertThatThrownBy(() -> Database.open(url, 2, null))
          .isInstanceOf(StorageException.class).hasMessageContaining("k.db.lock");
    }
    Database.open(url, 2, null).close(); // free again once closed
  }

  @Test
  void referenceStyleUrlsAreAccepted() {
    assertThat(Database.toJdbcUrl("sqlite:///var/k.db")).isEqualTo("jdbc:sqlite:var/k.db");
    assertThat(Database.toJdbcUrl("sqlite+pysqlite:////abs/k.db")).isEqualTo("jdbc:sqlite:/abs/k.db");
    assertThat(Database.toJdbcUrl("postgresql+psycopg://me:pw@db.example:5432/koukan"))
        .isEqualTo("jdbc:postgresql://db.example:5432/koukan?user=me&password=pw");
    assertThat(Database.toJdbcUrl("postgresql://me@/koukan?host=/run/pg"))
        .isEqualTo("jdbc:postgresql:///koukan?host=/run/pg&user=me");
    assertThat(Database.toJdbcUrl("jdbc:postgresql://h/db")).isEqualTo("jdbc:postgresql://h/db");
    assertThatThrownBy(() -> Database.toJdbcUrl("mysql://x/y")).isInstanceOf(StorageException.class);
  }

  @Test
  void sqliteWritesQueuedBehindOneAreCommittedTogetherAndFailIndividually() throws Exception {
    try (Database db = Database.open("jdbc:sqlite:" + dir.resolve("g.db"), 4, null)) {
      db.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (n INTEGER PRIMARY KEY)"));
      long[] before = db.groupCommitStats();
      CountDownLatch holding = new CountDownLatch(1);
      int writers = 60;
      List<Future<Integer>> results = new ArrayList<>();
      try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
        // the first write holds the lock while the others queue up behind it
        Future<Integer> first = pool.submit(() -> db.write(c -> {
          insert(c, 0);
          holding.countDown();
          // hold the writer until every other write is queued (at most 30 s)
          for (int i = 0; i < 3000 && db.queuedWrites() < writers; i++) {
            sleep(10);
          }
          return 0;
        }));
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i <= writers; i++) {
          int n = i;
          results.add(pool.submit(() -> db.write(c -> {
            insert(c, n);
            if (n % 7 == 0) {
              throw new IllegalArgumentException("write " + n + " fails after its insert");
            }
            if (n % 11 == 0) {
              insert(c, 0); // the first write's key, committed before: an SQLException
            }
            return n;
          })));
        }
        assertThat(first.get()).isZero();
      }
      List<Integer> expected = new ArrayList<>(List.of(0));
      for (int i = 1; i <= writers; i++) {
        Future<Integer> f = results.get(i - 1);
        if (i % 7 == 0) {
          assertThatThrownBy(f::get).hasCauseInstanceOf(IllegalArgumentException.class);
        } else if (i % 11 == 0) {
          assertThatThrownBy(f::get).hasCauseInstanceOf(StorageException.class);
        } else {
          assertThat(f.get()).isEqualTo(i);
          expected.add(i);
        }
      }
      List<Integer> rows = db.read(c -> {
        List<Integer> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n FROM t ORDER BY n");
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getInt(1));
          }
        }
        return out;
      });
      assertThat(rows).containsExactlyElementsOf(expected);
      long[] after = db.groupCommitStats();
      assertThat(after[1] - before[1]).isEqualTo(writers + 1);
      // 61 writes: the first alone, then the 60 queued behind it in one group
      assertThat(after[0] - before[0]).isEqualTo(2);
    }
  }

  @Test
  void afterCommitActionsRunOnlyForCommittedWrites() {
    try (Database db = Database.open("jdbc:sqlite:" + dir.resolve("h.db"), 2, null)) {
      db.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (n INTEGER PRIMARY KEY)"));
      List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
      db.write(c -> insert(c, 1), () -> ran.add("one"));
      assertThatThrownBy(() -> db.write(c -> insert(c, 1), () -> ran.add("duplicate")))
          .isInstanceOf(StorageException.class);
      assertThatThrownBy(() -> db.write(c -> {
        insert(c, 2);
        throw new IllegalStateException("refused");
      }, () -> ran.add("refused"))).isInstanceOf(IllegalStateException.class);
      db.write(c -> insert(c, 3), () -> ran.add("three"));
      assertThat(ran).containsExactly("one", "three");
    }
  }

  @Test
  void aWriteInsideAWriteIsRefused() {
    try (Database db = Database.open("jdbc:sqlite:" + dir.resolve("n.db"), 2, null)) {
      assertThatThrownBy(() -> db.write(c -> db.write(c2 -> 1)))
          .isInstanceOf(IllegalStateException.class);
      int two = db.write(c -> 2);
      assertThat(two).isEqualTo(2); // the lock was released
    }
  }

  @Test
  void cachedStatementsLeftMidResultDoNotPinAnOldSnapshot() {
    try (Database db = Database.open("jdbc:sqlite:" + dir.resolve("s.db"), 2, null)) {
      db.write(c -> c.createStatement().executeUpdate("CREATE TABLE t (n INTEGER PRIMARY KEY)"));
      db.write(c -> insert(c, 1) + insert(c, 2));
      for (int round = 3; round < 8; round++) {
        int n = round;
        // the same SQL twice at once, and a result set never read to its end nor closed
        db.read(c -> {
          PreparedStatement outer = c.prepareStatement("SELECT n FROM t ORDER BY n");
          ResultSet rs = outer.executeQuery();
          assertThat(rs.next()).isTrue();
          try (PreparedStatement inner = c.prepareStatement("SELECT n FROM t ORDER BY n");
              ResultSet rs2 = inner.executeQuery()) {
            assertThat(rs2.next()).isTrue();
          }
          outer.close();
          assertThat(outer.isClosed()).isTrue();
          return null;
        });
        db.write(c -> insert(c, n));
        Integer count = db.read(c -> {
          try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM t");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
          }
        });
        assertThat(count).isEqualTo(n);
      }
    }
  }

  private static int insert(java.sql.Connection c, int n) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (n) VALUES (?)")) {
      ps.setInt(1, n);
      return ps.executeUpdate();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
