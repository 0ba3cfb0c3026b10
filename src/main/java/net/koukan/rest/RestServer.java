package net.koukan.rest;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/** A Helidon listener serving the transaction API plus health endpoints. */
public final class RestServer implements AutoCloseable {
  private final WebServer server;
  private final String host;
  private final int port;

  public RestServer(String host, int port, TransactionApi api, Consumer<HttpRouting.Builder> extra) {
    this(host, port, null, api, extra);
  }

  /** {@code tls} (may be null: plain HTTP) makes the listener HTTPS only. */
  public RestServer(String host, int port, SSLContext tls, TransactionApi api,
      Consumer<HttpRouting.Builder> extra) {
    this.host = host;
    this.port = port;
    var builder = WebServer.builder();
    if (tls != null) {
      builder.tls(t -> t.sslContext(tls));
    }
    server = builder
        .host(host)
        .port(port)
        .shutdownHook(false)
        .shutdownGracePeriod(Duration.ofSeconds(2))
        .routing(r -> {
          r.get("/healthz", (req, res) -> {
            res.header("Content-Type", "application/json");
            res.send("{\"status\":\"ok\"}");
          });
          if (extra != null) {
            extra.accept(r);
          }
          api.register(r);
          r.any((req, res) -> TransactionApi.sendError(res, 404, "not_found",
              "no route for " + req.prologue().method().text() + " " + req.path().path(),
              java.util.Map.of()));
        })
        .build();
  }

  public RestServer start() {
    server.start();
    if (!server.isRunning() || server.port() < 0) {
      server.stop();
      throw new IllegalStateException("cannot listen on " + host + ":" + port
          + " (address in use or not permitted)");
    }
    return this;
  }

  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.stop();
  }
}
