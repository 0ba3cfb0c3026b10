package net.koukan.storage;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection pool on SQLite or PostgreSQL with schema migrations applied, and helpers that run
 * work in one SQL transaction. On SQLite, writers are serialized in-process (SQLite has one
 * writer anyway, and this avoids SQLITE_BUSY) and group-committed; commits are durable (WAL,
 * synchronous=FULL); prepared statements are cached per connection ({@link StatementCache}).
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  /** The SQL dialects we speak. */
  public enum Dialect { SQLITE, POSTGRESQL }

  /** Work done on a connection inside a transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private final Dialect dialect;
  private final HikariDataSource ds;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final StatementCache statements = new StatementCache();
  /** SQLite: the writer's pooled connection and the view of it Work gets; under writeLock. */
  private Connection writer;
  private Connection writerView;
  private final RowCache rows;
  private final String url;
  private final FileChannel lock;

  private Database(Dialect dialect, HikariDataSource ds, String url, FileChannel lock) {
    this.dialect = dialect;
    this.ds = ds;
    this.url = url;
    this.lock = lock;
    // only an embedded file is written by this process alone (the file lock): PostgreSQL is
    // shared with other replicas, whose writes this process would not see
    this.rows = dialect == Dialect.SQLITE ? new RowCache() : null;
  }

  /** Transactions as last read (SQLite), or null (PostgreSQL: other replicas write too). */
  RowCache rowCache() {
    return rows;
  }

  /**
   * Opens the database named by {@code url} (JDBC URL, or the reference's SQLAlchemy form such as
   * {@code sqlite:///var/koukan.db} or {@code postgresql://user@host/db}) and migrates it.
   * {@code schema} (PostgreSQL only, may be null) selects a schema other than the default.
   */
  public static Database open(String url, int poolSize, String schema) {
    return open(url, poolSize, schema, true);
  }

  /**
   * {@code durable} false (SQLite only) turns off fsync: for state that can be lost, like the
   * gateway's in-flight transactions (the router keeps the durable copy and retries).
   */
  public static Database open(String url, int poolSize, String schema, boolean durable) {
    String jdbc = toJdbcUrl(url);
    Dialect dialect = jdbc.startsWith("jdbc:sqlite:") ? Dialect.SQLITE : Dialect.POSTGRESQL;
    FileChannel lock = null;
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbc);
    hc.setPoolName("koukan-db");
    hc.setMaximumPoolSize(Math.max(2, poolSize));
    hc.setConnectionTimeout(10_000);
    hc.setInitializationFailTimeout(-1);
    if (dialect == Dialect.SQLITE) {
      String file = jdbc.substring("jdbc:sqlite:".length());
      int q = file.indexOf('?');
      if (q >= 0) {
        file = file.substring(0, q);
      }
      if (!file.isEmpty() && !file.equals(":memory:") && !file.startsWith("file:")) {
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
          Files.createDirectories(parent);
        } catch (IOException e) {
          throw new StorageException(StorageException.Kind.UNAVAILABLE,
              "cannot create directory " + parent + ": " + e.getMessage(), e);
        }
        lock = lockFile(Path.of(file + ".lock"));
      }
      // no server to recycle connections for: keep them (and their cached statements)
      hc.setMaxLifetime(0);
      hc.addDataSourceProperty("journal_mode", "WAL");
      hc.addDataSourceProperty("synchronous", durable ? "FULL" : "OFF");
      hc.addDataSourceProperty("foreign_keys", "true");
      hc.addDataSourceProperty("busy_timeout", "30000");
    } else {
      if (schema == null) {
        // a schema named in the URL (currentSchema=x) is created and migrated like the default
        var m = java.util.regex.Pattern.compile("[?&]currentSchema=([A-Za-z_][A-Za-z0-9_]*)").matcher(jdbc);
        if (m.find()) {
          schema = m.group(1);
        }
      }
      if (schema != null) {
        hc.setSchema(schema);
      }
      hc.addDataSourceProperty("reWriteBatchedInserts", "true");
      // while the server is away, fail fast (503 to clients, 451 to SMTP) instead of hanging:
      // a request waits at most connectionTimeout for a connection, and a new connection at most
      // connectTimeout; keepalive notices a peer that vanished without closing
      hc.setConnectionTimeout(5_000);
      hc.setValidationTimeout(2_000);
      if (!jdbc.contains("connectTimeout=")) {
        hc.addDataSourceProperty("connectTimeout", "5");
      }
      if (!jdbc.contains("tcpKeepAlive=")) {
        hc.addDataSourceProperty("tcpKeepAlive", "true");
      }
    }
    HikariDataSource ds;
    try {
      ds = new HikariDataSource(hc);
    } catch (RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
    Database db = new Database(dialect, ds, jdbc, lock);
    try {
      db.migrate(schema);
      if (durable) {
        db.checkDurability();
      }
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
    return db;
  }

  /**
   * An embedded SQLite file belongs to one process: a second router on the same file would
   * declare the first one's session dead and take its work. Refuse to start instead.
   */
  private static FileChannel lockFile(Path path) {
    try {
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      if (ch.tryLock() == null) {
        ch.close();
        throw new StorageException(StorageException.Kind.UNAVAILABLE,
            "another process is using the database (lock " + path + " is held)");
      }
      return ch;
    } catch (OverlappingFileLockException e) {
      throw new StorageException(StorageException.Kind.UNAVAILABLE,
          "this process already has the database open (lock " + path + ")");
    } catch (IOException e) {
      throw new StorageException(StorageException.Kind.UNAVAILABLE,
          "cannot lock " + path + ": " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // nothing more to do
      }
    }
  }

  static String toJdbcUrl(String url) {
    if (url.startsWith("jdbc:")) {
      return url;
    }
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      throw new StorageException(StorageException.Kind.INVALID, "unsupported storage url: " + url);
    }
    String s = url.substring(0, scheme);
    String rest = url.substring(scheme + 3);
    if (s.equals("sqlite") || s.startsWith("sqlite+")) {
      // sqlite:///relative/path, sqlite:////absolute/path (SQLAlchemy convention)
      if (!rest.startsWith("/")) {
        throw new StorageException(StorageException.Kind.INVALID, "unsupported storage url: " + url);
      }
      return "jdbc:sqlite:" + rest.substring(1);
    }
    if (s.equals("postgresql") || s.startsWith("postgresql+") || s.equals("postgres")) {
      // postgresql://user:pw@host:port/db?params
      String userInfo = null;
      int at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
      if (at >= 0) {
        userInfo = rest.substring(0, at);
        rest = rest.substring(at + 1);
      }
      StringBuilder b = new StringBuilder("jdbc:postgresql://").append(rest);
      if (userInfo != null) {
        String user = userInfo;
        String pw = null;
        int colon = userInfo.indexOf(':');
        if (colon >= 0) {
          user = userInfo.substring(0, colon);
          pw = userInfo.substring(colon + 1);
        }
        b.append(rest.contains("?") ? '&' : '?').append("user=").append(user);
        if (pw != null) {
          b.append("&password=").append(pw);
        }
      }
      return b.toString();
    }
    throw new StorageException(StorageException.Kind.INVALID, "unsupported storage url: " + url);
  }

  private void migrate(String schema) {
    var cfg = Flyway.configure()
        .dataSource(ds)
        .locations(dialect == Dialect.SQLITE ? "classpath:db/migration/sqlite"
            : "classpath:db/migration/postgresql")
        .loggers("slf4j");
    if (schema != null && dialect == Dialect.POSTGRESQL) {
      cfg = cfg.schemas(schema).defaultSchema(schema).createSchemas(true);
    }
    cfg.load().migrate();
  }

  private void checkDurability() {
    read(c -> {
      try (Statement st = c.createStatement()) {
        if (dialect == Dialect.SQLITE) {
          try (ResultSet rs = st.executeQuery("PRAGMA synchronous")) {
            rs.next();
            int sync = rs.getInt(1);
            if (sync < 2) {
              throw new StorageException(StorageException.Kind.UNAVAILABLE,
                  "SQLite synchronous=" + sync + ": commits would not be durable");
            }
          }
        } else {
          for (String setting : new String[] {"fsync", "synchronous_commit"}) {
            try (ResultSet rs = st.executeQuery("SHOW " + setting)) {
              rs.next();
              String v = rs.getString(1);
              if (v.equals("off")) {
                log.warn("PostgreSQL {} is off: acknowledged mail can be lost on a crash", setting);
              }
            }
          }
        }
      }
      return null;
    });
  }

  public Dialect dialect() {
    return dialect;
  }

  public String jdbcUrl() {
    return url;
  }

  /** Runs {@code work} in a read-only transaction. */
  public <T> T read(Work<T> work) {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(true);
      return work.run(dialect == Dialect.SQLITE ? statements.wrap(c) : c);
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }


  /**
   * Runs {@code work} in one write transaction; it is committed durably before this returns.
   *
   * <p>On SQLite, writes are group-committed: there is one writer, and whoever holds the write
   * lock runs every write queued meanwhile (up to {@link #MAX_GROUP}), each inside a savepoint of
   * one SQL transaction, then commits them together with one fsync. A write that fails is rolled
   * back to its savepoint alone and its caller gets the error; no caller returns before the
   * commit that holds its write is durable.
   */
  public <T> T write(Work<T> work) {
    return write(work, null);
  }

  /**
   * As {@link #write(Work)}; {@code afterCommit} (may be null) runs once the write is committed
   * (not if it failed). On SQLite it runs under the write lock, in commit order, before any later
   * write commits.
   */
  <T> T write(Work<T> work, Runnable afterCommit) {
    if (dialect == Dialect.SQLITE) {
      return groupWrite(work, afterCommit);
    }
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      T result;
      try {
        result = work.run(c);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollback(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      if (afterCommit != null) {
        afterCommit.run();
      }
      return result;
    } catch (SQLException e) {
      throw unavailable(e);
    }
  }

  private static void rollback(Connection c, Throwable e) {
    try {
      c.rollback();
    } catch (SQLException r) {
      e.addSuppressed(r);
    }
  }

  /** Writes committed together at most (bounds the latency a batch adds to its first write). */
  static final int MAX_GROUP = 64;

  /** One queued write and, once its group committed, its outcome. */
  private static final class Pending {
    final Work<?> work;
    final Runnable afterCommit;
    Object result;
    Throwable error;
    volatile boolean done;

    Pending(Work<?> work, Runnable afterCommit) {
      this.work = work;
      this.afterCommit = afterCommit;
    }
  }

  private final ConcurrentLinkedQueue<Pending> queued = new ConcurrentLinkedQueue<>();
  private final ThreadLocal<Boolean> inGroup = new ThreadLocal<>();
  private final LongAdder groups = new LongAdder();
  private final LongAdder grouped = new LongAdder();

  @SuppressWarnings("unchecked")
  private <T> T groupWrite(Work<T> work, Runnable afterCommit) {
    if (inGroup.get() != null) {
      throw new IllegalStateException("Database.write called from inside a write");
    }
    Pending mine = new Pending(work, afterCommit);
    queued.add(mine);
    writeLock.lock();
    try {
      // while we waited, the previous holder may have committed ours with its group
      while (!mine.done) {
        runGroup();
      }
    } finally {
      writeLock.unlock();
    }
    if (mine.error != null) {
      switch (mine.error) {
        case SQLException e -> throw unavailable(e);
        case RuntimeException e -> throw e;
        case Error e -> throw e;
        default -> throw new IllegalStateException(mine.error);
      }
    }
    return (T) mine.result;
  }

  /** Under the write lock: runs the queued writes as one SQL transaction and commits it. */
  private void runGroup() {
    List<Pending> group = new ArrayList<>();
    for (Pending p; group.size() < MAX_GROUP && (p = queued.poll()) != null; ) {
      group.add(p);
    }
    if (group.isEmpty()) {
      return;
    }
    groups.increment();
    grouped.add(group.size());
    inGroup.set(Boolean.TRUE);
    try {
      Connection c = writer();
      c.setAutoCommit(false);
      try {
        boolean single = group.size() == 1;
        for (Pending p : group) {
          Savepoint sp = single ? null : c.setSavepoint();
          try {
            p.result = p.work.run(c);
            if (sp != null) {
              c.releaseSavepoint(sp);
            }
          } catch (SQLException | RuntimeException | Error e) {
            p.error = e;
            if (sp != null) {
              c.rollback(sp);
              c.releaseSavepoint(sp);
            } else {
              c.rollback();
            }
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException | Error e) {
        rollback(c, e);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
      for (Pending p : group) {
        if (p.error == null && p.afterCommit != null) {
          try {
            p.afterCommit.run();
          } catch (RuntimeException e) {
            log.error("after-commit action failed", e);
          }
        }
      }
    } catch (SQLException | RuntimeException | Error e) {
      // nothing of this group is committed: every write in it fails; the next group starts on
      // a fresh connection
      discardWriter();
      for (Pending p : group) {
        if (p.error == null) {
          p.error = e;
        }
        p.result = null;
      }
    } finally {
      inGroup.remove();
      for (Pending p : group) {
        p.done = true;
      }
    }
  }

  /**
   * SQLite's one writer keeps its connection: in WAL mode a connection's page cache survives only
   * its own commits (another connection's commit empties it), so the writer's stays warm.
   */
  private Connection writer() throws SQLException {
    if (writer == null) {
      Connection pooled = ds.getConnection();
      try (Statement st = pooled.createStatement()) {
        st.execute("PRAGMA cache_size = -" + WRITER_CACHE_KIB);
      }
      writer = pooled;
      writerView = statements.wrap(pooled);
    }
    return writerView;
  }

  private void discardWriter() {
    Connection w = writer;
    writer = null;
    writerView = null;
    if (w != null) {
      try {
        w.close();
      } catch (SQLException e) {
        log.debug("closing the writer connection: {}", e.toString());
      }
    }
  }

  /** Page cache of the writer connection, KiB. */
  static final int WRITER_CACHE_KIB = 8192;

  /** Writes waiting for the writer now (tests). */
  int queuedWrites() {
    return queued.size();
  }

  /** Group commits so far, and the writes they held (SQLite; both 0 on PostgreSQL). */
  public long[] groupCommitStats() {
    return new long[] {groups.sum(), grouped.sum()};
  }

  private static StorageException unavailable(SQLException e) {
    return new StorageException(StorageException.Kind.UNAVAILABLE,
        "database error: " + e.getMessage(), e);
  }

  @Override
  public void close() {
    writeLock.lock();
    try {
      discardWriter();
    } finally {
      writeLock.unlock();
    }
    statements.clear();
    ds.close();
    closeQuietly(lock);
  }
}
