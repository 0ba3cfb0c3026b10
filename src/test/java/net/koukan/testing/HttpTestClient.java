package net.koukan.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import net.koukan.tx.TxJson;

/** A small blocking HTTP client for tests, with JSON helpers and an LRO poll. */
public final class HttpTestClient {
  public final String base;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  public HttpTestClient(String base) {
    this.base = base;
  }

  /** A response. */
  public record Resp(int status, Map<String, List<String>> headers, byte[] body) {
    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }

    public JsonNode json() {
      try {
        return TxJson.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
      }
    }

    public long etag() {
      String e = header("ETag");
      return Long.parseLong(e.replace("\"", "").replace("W/", ""));
    }

    /** The last path segment of Location: the transaction id. */
    public String id() {
      String loc = header("Location");
      return loc.substring(loc.lastIndexOf('/') + 1);
    }
  }

  public Resp send(String method, String path, byte[] body, String... headers) {
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

  public Resp post(String path, String json) {
    return send("POST", path, json.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json");
  }

  public Resp get(String path, String... headers) {
    return send("GET", path, null, headers);
  }

  /**
   * Long-polls {@code /transactions/id} until {@code until} holds for the JSON (or fails after
   * {@code timeout}); returns the last JSON.
   */
  public JsonNode pollUntil(String id, java.util.function.Predicate<JsonNode> until, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Resp r = get("/transactions/" + id);
    while (true) {
      if (r.status() == 200 && until.test(r.json())) {
        return r.json();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting; last: " + new String(r.body(), StandardCharsets.UTF_8));
      }
      long etag = r.etag();
      Resp next = get("/transactions/" + id, "If-None-Match", Long.toString(etag), "request-timeout", "1");
      if (next.status() == 200) {
        r = next;
      }
    }
  }

  public JsonNode pollFinal(String id, Duration timeout) {
    return pollUntil(id, j -> j.has("final_attempt_reason"), timeout);
  }
}
