package net.koukan.drop;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A tiny Swift (auth v1 + object PUT/HEAD) in the test JVM, for the faults a real Swift cannot
 * show on demand. {@link #onPut} decides each PUT's status from the request; objects answered 201
 * are kept in memory.
 */
final class FakeSwift implements AutoCloseable {
  /** One PUT as the fake saw it. */
  record Put(String path, String token, Map<String, String> headers, byte[] body) {}

  final HttpServer server;
  final AtomicInteger auths = new AtomicInteger();
  final List<Put> puts = new CopyOnWriteArrayList<>();
  final Map<String, byte[]> objects = new ConcurrentHashMap<>();
  volatile Function<Put, Integer> onPut = p -> 201;
  volatile int authStatus = 200;

  FakeSwift() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/auth/v1.0", this::auth);
    server.createContext("/v1/AUTH_fake", this::storage);
    server.start();
  }

  URI authUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/auth/v1.0");
  }

  /** The token of the n-th authentication (1-based). */
  static String token(int n) {
    return "AUTH_tk" + n;
  }

  private void auth(HttpExchange ex) throws IOException {
    int n = auths.incrementAndGet();
    if (authStatus == 200 && "testing".equals(ex.getRequestHeaders().getFirst("X-Auth-Key"))) {
      ex.getResponseHeaders().add("X-Auth-Token", token(n));
      ex.getResponseHeaders().add("X-Storage-Url", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/AUTH_fake");
      ex.getResponseHeaders().add("X-Auth-Token-Expires", "86400");
      ex.sendResponseHeaders(200, -1);
    } else {
      ex.sendResponseHeaders(authStatus == 200 ? 401 : authStatus, -1);
    }
    ex.close();
  }

  private void storage(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath().substring("/v1/AUTH_fake/".length());
    byte[] body = ex.getRequestBody().readAllBytes();
    String token = ex.getRequestHeaders().getFirst("X-Auth-Token");
    switch (ex.getRequestMethod()) {
      case "PUT" -> {
        Map<String, String> h = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ex.getRequestHeaders().forEach((k, v) -> h.put(k, v.get(0)));
        Put p = new Put(path, token, h, body);
        puts.add(p);
        int status = onPut.apply(p);
        if (status == 201) {
          if (objects.putIfAbsent(path, body) != null && "*".equals(h.get("If-None-Match"))) {
            status = 412;
          }
        }
        ex.sendResponseHeaders(status, -1);
      }
      case "HEAD" -> ex.sendResponseHeaders(path.contains("/") ? (objects.containsKey(path) ? 200 : 404) : 204, -1);
      case "DELETE" -> ex.sendResponseHeaders(objects.remove(path) != null ? 204 : 404, -1);
      default -> ex.sendResponseHeaders(405, -1);
    }
    ex.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
