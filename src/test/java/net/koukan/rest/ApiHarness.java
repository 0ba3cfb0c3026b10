package net.koukan.rest;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.VersionWatch;
import net.koukan.testing.TestDb;
import net.koukan.tx.TxJson;

/**
 * A real REST listener on a free loopback port over real storage, with a fixed sender table:
 * {@code submission} (non-incremental, retry), {@code ingress} tag {@code smtp-mx}
 * (incremental), {@code sor} (non-incremental, oneshot).
 */
final class ApiHarness implements AutoCloseable {
  final TestDb tdb;
  final Storage storage;
  final RestServer server;
  final String base;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  static final SenderPolicy.Resolver SENDERS = (sender, tag) -> switch (sender) {
    case "submission" -> tag == null ? Optional.of(new SenderPolicy(false, true, false)) : Optional.empty();
    case "ingress" -> "smtp-mx".equals(tag) ? Optional.of(new SenderPolicy(true, false, false))
        : tag == null ? Optional.of(new SenderPolicy(false, false, false)) : Optional.empty();
    case "sor" -> tag == null ? Optional.of(new SenderPolicy(false, false, false)) : Optional.empty();
    default -> Optional.empty();
  };

  ApiHarness(Database.Dialect dialect, Path dir, Dispatcher dispatcher, long maxBlob, int chunk) {
    tdb = TestDb.open(dialect, dir, 16);
    int port = freePort();
    base = "http://127.0.0.1:" + port;
    storage = new Storage(tdb.db, Clock.systemUTC(), new VersionWatch(), maxBlob);
    storage.startSession(base, true);
    RestSettings settings = new RestSettings(base, base, chunk, maxBlob, 4, 30);
    TransactionApi api = new TransactionApi(storage, SENDERS, settings,
        dispatcher == null ? Dispatcher.NONE : dispatcher);
    server = new RestServer("127.0.0.1", port, api, null).start();
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  record Resp(int status, Map<String, java.util.List<String>> headers, byte[] body) {
    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }

    JsonNode json() {
      try {
        return TxJson.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
      }
    }

    long etag() {
      return TransactionApi.parseEtag(header("ETag"), "ETag");
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  Resp send(String method, String path, byte[] body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Resp(r.statusCode(), r.headers().map(), r.body());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  Resp postJson(String path, String json) {
    return send("POST", path, json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
  }

  Resp get(String path, String... headers) {
    return send("GET", path, null, headers);
  }

  Resp patchJson(String path, long etag, String json) {
    return send("PATCH", path, json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
        "If-Match", "\"" + etag + "\"");
  }

  Resp put(String path, byte[] body, String... headers) {
    return send("PUT", path, body, headers);
  }

  /** The path part of an absolute URI (Location, blob uri). */
  static String path(String uri) {
    return URI.create(uri).getRawPath();
  }

  @Override
  public void close() {
    server.close();
    tdb.close();
  }
}
