package net.koukan.receiver;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import net.koukan.tx.HostPort;

/**
 * A REST receiver listening on one address: the {@link ReceiverApi} routes, {@code /healthz},
 * and a sweeper that forgets idle transactions (every TTL/4, at least once a second, at most
 * every 30 s).
 */
public final class ReceiverServer implements AutoCloseable {
  private final ReceiverSettings settings;
  private final ReceiverApi api;
  private final WebServer server;
  private final String host;
  private Thread sweeper;
  private String baseUri;

  public ReceiverServer(String host, int port, ReceiverSettings settings, Clock clock) {
    if (!Files.isDirectory(settings.dir())) {
      throw new IllegalArgumentException("not a directory: " + settings.dir());
    }
    this.settings = settings;
    this.host = host;
    this.api = new ReceiverApi(settings, clock);
    this.server = WebServer.builder()
        .host(host)
        .port(port)
        .shutdownHook(false)
        .shutdownGracePeriod(Duration.ofSeconds(2))
        .routing(r -> {
          r.get("/healthz", (req, res) -> {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send("{\"status\":\"ok\"}");
          });
          api.register(r);
          r.any((req, res) -> ReceiverApi.sendError(res, 404, "not_found",
              "no route for " + req.prologue().method().text() + " " + req.path().path(),
              java.util.Map.of()));
        })
        .build();
  }

  public ReceiverServer start() {
    server.start();
    baseUri = settings.baseUri() != null ? settings.baseUri()
        : "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
    api.base(baseUri);
    long ttl = settings.ttl().toMillis();
    Duration every = Duration.ofMillis(Math.max(1000, Math.min(30_000, ttl / 4)));
    sweeper = Thread.ofVirtual().name("receiver-gc").start(() -> {
      try {
        while (true) {
          Thread.sleep(every);
          api.gc();
        }
      } catch (InterruptedException e) {
        // stopping
      }
    });
    return this;
  }

  public int port() {
    return server.port();
  }

  /** The URL prefix clients use (Location and blob URIs). */
  public String baseUri() {
    return baseUri;
  }

  /** Forgets transactions idle for longer than the TTL now (the sweeper does this periodically). */
  public int gc() {
    return api.gc();
  }

  @Override
  public void close() {
    if (sweeper != null) {
      sweeper.interrupt();
    }
    server.stop();
    api.closeAll();
  }

  /** Parses {@code host:port} or {@code [v6]:port}. */
  public static HostPort parseListen(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("expected HOST:PORT, got " + s);
    }
    String h = s.substring(0, colon);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    } else if (h.contains(":")) {
      throw new IllegalArgumentException("an IPv6 address needs brackets: [" + h + "]:port");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in " + s);
    }
    if (port < 0 || port > 65535 || h.isEmpty()) {
      throw new IllegalArgumentException("bad address " + s);
    }
    return new HostPort(h, port);
  }
}
