package net.koukan.testing;

import java.nio.file.Path;
import java.time.Clock;
import net.koukan.config.RouterConfig;
import net.koukan.filter.FilterFactory;
import net.koukan.router.RouterService;
import net.koukan.storage.Database;

/**
 * A whole router in the test JVM: YAML (with {@code %PORT%} and {@code %STORAGE%} filled in),
 * real storage (SQLite file or a throwaway PostgreSQL schema), real HTTP on a free port.
 */
public final class RouterHarness implements AutoCloseable {
  public final RouterService router;
  public final HttpTestClient http;
  public final int port;
  private final String schema;

  public RouterHarness(Database.Dialect dialect, Path dir, String yaml, Clock clock,
      FilterFactory... filters) {
    port = Ports.free();
    String storage;
    if (dialect == Database.Dialect.SQLITE) {
      storage = "jdbc:sqlite:" + dir.resolve("router.db");
      schema = null;
    } else {
      TestDb.requirePostgres();
      schema = TestDb.newSchema();
      storage = TestDb.postgresUrl() + "&currentSchema=" + schema;
    }
    String text = yaml.replace("%PORT%", Integer.toString(port)).replace("%STORAGE%", storage)
        .replace("%DIR%", dir.toString());
    RouterConfig cfg = RouterConfig.parse(text, "test-router.yaml");
    RouterService r = new RouterService(cfg, clock);
    for (FilterFactory f : filters) {
      r.withFilter(f);
    }
    router = r.start();
    http = new HttpTestClient("http://127.0.0.1:" + port);
  }

  @Override
  public void close() {
    router.close();
    if (schema != null) {
      TestDb.dropSchema(schema);
    }
  }
}
