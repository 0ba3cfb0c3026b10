package net.koukan.testing;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import net.koukan.storage.Database;
import org.junit.jupiter.api.Assumptions;

/**
 * Real databases for tests: a SQLite file in a temp dir, or a fresh schema in the PostgreSQL named
 * by {@code KOUKAN_TEST_POSTGRES_URL} (default: the machine's 127.0.0.1:5432, database test).
 * Under {@code CI=true} an unreachable PostgreSQL fails the test instead of skipping it.
 */
public final class TestDb implements AutoCloseable {
  public static final String DEFAULT_PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  public final Database db;
  public final String url;
  public final String schema;

  private TestDb(Database db, String url, String schema) {
    this.db = db;
    this.url = url;
    this.schema = schema;
  }

  public static String postgresUrl() {
    String env = System.getenv("KOUKAN_TEST_POSTGRES_URL");
    return env == null || env.isBlank() ? DEFAULT_PG : env;
  }

  /** Checks that PostgreSQL answers; skips (or fails under CI=true) when it does not. */
  public static void requirePostgres() {
    try (Connection c = DriverManager.getConnection(postgresUrl())) {
      c.isValid(5);
    } catch (SQLException e) {
      String msg = "PostgreSQL not reachable at " + postgresUrl() + ": " + e.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(msg + " (CI=true: a missing service fails the run)", e);
      }
      Assumptions.abort(msg);
    }
  }

  public static TestDb open(Database.Dialect dialect, Path dir) {
    return open(dialect, dir, 8);
  }

  public static TestDb open(Database.Dialect dialect, Path dir, int poolSize) {
    if (dialect == Database.Dialect.SQLITE) {
      String url = "jdbc:sqlite:" + dir.resolve("koukan-test.db");
      return new TestDb(Database.open(url, poolSize, null), url, null);
    }
    requirePostgres();
    String schema = newSchema();
    return new TestDb(Database.open(postgresUrl(), poolSize, schema), postgresUrl(), schema);
  }

  /** A fresh, unique schema name; {@link #dropSchema} removes it. */
  public static String newSchema() {
    return "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  public static void dropSchema(String schema) {
    try (Connection c = DriverManager.getConnection(postgresUrl());
         Statement st = c.createStatement()) {
      st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    db.close();
    if (schema != null) {
      dropSchema(schema);
    }
  }
}
