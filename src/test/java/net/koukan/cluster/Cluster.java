package net.koukan.cluster;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import net.koukan.config.RouterConfig;
import net.koukan.filter.FilterFactory;
import net.koukan.router.RouterService;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.Ports;
import net.koukan.testing.TestDb;

/**
 * Several routers in the test JVM on one throwaway PostgreSQL schema, each with its own port and
 * {@code session_uri}: a cluster as the issue describes it, minus the processes.
 */
final class Cluster implements AutoCloseable {
  final String schema = TestDb.newSchema();
  final String storageUrl;
  final List<Node> nodes = new ArrayList<>();
  private final Path dir;

  /** One router of the cluster. */
  record Node(RouterService router, String base, HttpTestClient http) {}

  Cluster(Path dir) {
    TestDb.requirePostgres();
    this.dir = dir;
    this.storageUrl = TestDb.postgresUrl() + "&currentSchema=" + schema;
  }

  /** Starts a router on {@code yaml} (%PORT%, %STORAGE%, %DIR% filled in). */
  Node start(String yaml, FilterFactory... filters) {
    int port = Ports.free();
    String text = yaml.replace("%PORT%", Integer.toString(port)).replace("%STORAGE%", storageUrl)
        .replace("%DIR%", dir.toString());
    RouterService r = new RouterService(RouterConfig.parse(text, "cluster-router.yaml"),
        Clock.systemUTC());
    for (FilterFactory f : filters) {
      r.withFilter(f);
    }
    r.start();
    String base = "http://127.0.0.1:" + port;
    Node n = new Node(r, base, new HttpTestClient(base));
    nodes.add(n);
    return n;
  }

  /** Runs SQL on the cluster's schema (to break and mend storage under the routers). */
  void sql(String statement) {
    try (Connection c = DriverManager.getConnection(storageUrl);
         Statement st = c.createStatement()) {
      st.execute(statement);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final java.net.http.HttpClient FOLLOW = java.net.http.HttpClient.newBuilder()
      .version(java.net.http.HttpClient.Version.HTTP_1_1)
      .followRedirects(java.net.http.HttpClient.Redirect.NORMAL)
      .connectTimeout(java.time.Duration.ofSeconds(5)).build();

  /**
   * Long-polls {@code base/transactions/id}, following 308s to whichever replica holds it, until
   * it has a {@code final_attempt_reason}; returns that JSON.
   */
  static com.fasterxml.jackson.databind.JsonNode pollFinal(String base, String id,
      java.time.Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String etag = null;
    String last = "";
    while (System.nanoTime() < deadline) {
      var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/transactions/" + id))
          .timeout(java.time.Duration.ofSeconds(30));
      if (etag != null) {
        b.header("If-None-Match", etag).header("request-timeout", "2");
      }
      java.net.http.HttpResponse<String> r;
      try {
        r = FOLLOW.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        last = e.toString(); // a replica that went away mid-poll: ask again
        etag = null;
        continue;
      }
      if (r.statusCode() == 200) {
        last = r.body();
        var j = net.koukan.tx.TxJson.MAPPER.readTree(r.body());
        if (j.has("final_attempt_reason")) {
          return j;
        }
        etag = r.headers().firstValue("ETag").orElse(null);
      } else if (r.statusCode() != 304) {
        last = r.statusCode() + " " + r.body();
        etag = null;
      }
    }
    throw new AssertionError("no final_attempt_reason for " + id + " within " + timeout + "; last: " + last);
  }

  @Override
  public void close() {
    for (Node n : nodes) {
      n.router().close();
    }
    TestDb.dropSchema(schema);
  }
}
