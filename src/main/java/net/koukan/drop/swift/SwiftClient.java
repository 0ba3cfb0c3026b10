package net.koukan.drop.swift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Swift account as one set of credentials sees it. Thread-safe: the token is shared by every
 * caller, fetched on first use, renewed a minute before it expires, and renewed once when Swift
 * answers 401 to it (a 401 is not always bad credentials: tempauth answers it when its memcache
 * is unreachable). A second 401 is returned to the caller.
 *
 * <p>Requests are HTTP/1.1 without {@code Expect: 100-continue} (the JDK client can hang when the
 * server answers before the body); every request has a timeout.
 */
public final class SwiftClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration RENEW_BEFORE = Duration.ofSeconds(60);

  /** A token and where to use it. {@code expires} null: unknown (kept until a 401). */
  public record Token(String token, URI storageUrl, Instant expires) {
    @Override
    public String toString() {
      return "Token[storageUrl=" + storageUrl + ", expires=" + expires + "]";
    }
  }

  /** A finished response whose body (if any) was small enough to read whole. */
  public record Response(int status, HttpHeaders headers, byte[] body) {
    public String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** Re-openable request content of a known length, streamed (never held in memory). */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  private final SwiftAuth auth;
  private final Duration timeout;
  private final Clock clock;
  private final HttpClient http;
  private final ReentrantLock authLock = new ReentrantLock();
  private volatile Token token;

  /** {@code timeout}: the longest any one request may take (connect + answer). */
  public SwiftClient(SwiftAuth auth, Duration timeout, Clock clock) {
    this.auth = auth;
    this.timeout = timeout;
    this.clock = clock;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(min(timeout, Duration.ofSeconds(10)))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  public SwiftAuth auth() {
    return auth;
  }

  public Duration timeout() {
    return timeout;
  }

  // ------------------------------------------------------------------ auth

  /** The cached token, or a new one when there is none or it expires within a minute. */
  public Token token() throws SwiftException {
    Token t = token;
    if (t != null && !expiring(t)) {
      return t;
    }
    authLock.lock();
    try {
      t = token;
      if (t == null || expiring(t)) {
        token = t = authenticate();
      }
      return t;
    } finally {
      authLock.unlock();
    }
  }

  private boolean expiring(Token t) {
    return t.expires() != null && clock.instant().plus(RENEW_BEFORE).isAfter(t.expires());
  }

  /** Drops {@code stale} (if it is still the cached one) and fetches a new token. */
  private Token renew(Token stale) throws SwiftException {
    authLock.lock();
    try {
      if (token == stale || token == null) {
        token = authenticate();
      }
      return token;
    } finally {
      authLock.unlock();
    }
  }

  private Token authenticate() throws SwiftException {
    return switch (auth) {
      case SwiftAuth.V1 v1 -> authV1(v1);
      case SwiftAuth.KeystoneV3 v3 -> authV3(v3);
    };
  }

  private Token authV1(SwiftAuth.V1 a) throws SwiftException {
    HttpRequest req = HttpRequest.newBuilder(a.authUrl()).timeout(timeout).GET()
        .header("X-Auth-User", a.user()).header("X-Auth-Key", a.key()).build();
    Response r = exchange(req, "authenticate (" + a.describe() + ")");
    if (r.status() / 100 != 2) {
      throw new SwiftException(r.status(), "authentication failed (" + a.describe() + "): HTTP " + r.status());
    }
    String tok = r.header("X-Auth-Token");
    String url = r.header("X-Storage-Url");
    if (tok == null || (url == null && a.storageUrlOverride() == null)) {
      throw new SwiftException(502, "authentication (" + a.describe()
          + ") answered without X-Auth-Token/X-Storage-Url");
    }
    Instant expires = null;
    String exp = r.header("X-Auth-Token-Expires");
    if (exp != null) {
      try {
        expires = clock.instant().plusSeconds((long) Double.parseDouble(exp.trim()));
      } catch (NumberFormatException e) {
        // unknown expiry: renewed on 401
      }
    }
    URI storage = a.storageUrlOverride() != null ? a.storageUrlOverride() : URI.create(url);
    return new Token(tok, storage, expires);
  }

  private Token authV3(SwiftAuth.KeystoneV3 a) throws SwiftException {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode authNode = body.putObject("auth");
    ObjectNode identity = authNode.putObject("identity");
    identity.putArray("methods").add("password");
    ObjectNode user = identity.putObject("password").putObject("user");
    user.put("name", a.user());
    user.putObject("domain").put("name", a.userDomain());
    user.put("password", a.password());
    if (a.projectId() != null && !a.projectId().isEmpty()) {
      authNode.putObject("scope").putObject("project").put("id", a.projectId());
    } else if (a.project() != null && !a.project().isEmpty()) {
      ObjectNode p = authNode.putObject("scope").putObject("project");
      p.put("name", a.project());
      p.putObject("domain").put("name", a.projectDomain());
    }
    String base = a.authUrl().toString().replaceAll("/+$", "");
    URI tokens = URI.create(base.endsWith("/auth/tokens") ? base : base + "/auth/tokens");
    HttpRequest req = HttpRequest.newBuilder(tokens).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    Response r = exchange(req, "authenticate (" + a.describe() + ")");
    if (r.status() / 100 != 2) {
      throw new SwiftException(r.status(), "authentication failed (" + a.describe() + "): HTTP " + r.status());
    }
    String tok = r.header("X-Subject-Token");
    if (tok == null) {
      throw new SwiftException(502, "keystone (" + a.describe() + ") answered without X-Subject-Token");
    }
    JsonNode t;
    try {
      t = JSON.readTree(r.body()).path("token");
    } catch (IOException e) {
      throw new SwiftException(502, "keystone (" + a.describe() + ") answered with bad JSON: " + e.getMessage());
    }
    Instant expires = null;
    if (t.hasNonNull("expires_at")) {
      try {
        expires = OffsetDateTime.parse(t.get("expires_at").asText()).toInstant();
      } catch (RuntimeException e) {
        // unknown expiry
      }
    }
    URI storage = a.storageUrlOverride();
    if (storage == null) {
      for (JsonNode svc : t.path("catalog")) {
        if (!"object-store".equals(svc.path("type").asText())) {
          continue;
        }
        for (JsonNode ep : svc.path("endpoints")) {
          if (a.endpointInterface().equals(ep.path("interface").asText())
              && (a.region() == null || a.region().isEmpty()
                  || a.region().equals(ep.path("region").asText())
                  || a.region().equals(ep.path("region_id").asText()))) {
            storage = URI.create(ep.path("url").asText());
            break;
          }
        }
        if (storage != null) {
          break;
        }
      }
    }
    if (storage == null) {
      throw new SwiftException(502, "keystone (" + a.describe() + "): no object-store endpoint with interface "
          + a.endpointInterface() + (a.region() == null ? "" : " in region " + a.region()) + " in the catalog");
    }
    return new Token(tok, storage, expires);
  }

  // ------------------------------------------------------------------ requests

  /**
   * Sends one request to {@code <storage url>[/container[/object]][?query]} with the token; on
   * 401 renews the token once and sends again. {@code content} null: no body (except PUT, which
   * sends an empty one). {@code requestTimeout} null: the client's timeout.
   */
  public Response send(String method, String container, String object, String query,
      Map<String, String> headers, long length, Content content, Duration requestTimeout) throws SwiftException {
    Token t = token();
    Response r = sendWith(t, method, container, object, query, headers, length, content, requestTimeout);
    if (r.status() == 401) {
      t = renew(t);
      r = sendWith(t, method, container, object, query, headers, length, content, requestTimeout);
    }
    return r;
  }

  private Response sendWith(Token t, String method, String container, String object, String query,
      Map<String, String> headers, long length, Content content, Duration requestTimeout) throws SwiftException {
    StringBuilder u = new StringBuilder(t.storageUrl().toString().replaceAll("/+$", ""));
    if (container != null) {
      u.append('/').append(encodePath(container));
      if (object != null) {
        u.append('/').append(encodePath(object));
      }
    }
    if (query != null && !query.isEmpty()) {
      u.append('?').append(query);
    }
    HttpRequest.BodyPublisher body;
    if (content != null) {
      body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
        try {
          return content.open();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }), length);
    } else if (method.equals("PUT") || method.equals("POST")) {
      body = HttpRequest.BodyPublishers.noBody();
    } else {
      body = null;
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(u.toString()))
        .timeout(requestTimeout == null ? timeout : min(requestTimeout, timeout))
        .header("X-Auth-Token", t.token())
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : body);
    headers.forEach(b::header);
    return exchange(b.build(), method + " " + describe(container, object));
  }

  private Response exchange(HttpRequest req, String what) throws SwiftException {
    try {
      HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(r.statusCode(), r.headers(), r.body() == null ? new byte[0] : r.body());
    } catch (HttpTimeoutException e) {
      throw new SwiftException(what + ": no answer within " + req.timeout().orElse(timeout).toMillis() + " ms", e);
    } catch (IOException | UncheckedIOException e) {
      throw new SwiftException(what + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SwiftException(what + ": interrupted", e);
    }
  }

  private static String describe(String container, String object) {
    return container == null ? "(account)" : object == null ? container : container + "/" + object;
  }

  // ------------------------------------------------------------------ helpers

  /** HEAD of a container: 204 (or 200) when it exists and we may use it. */
  public int headContainer(String container) throws SwiftException {
    return send("HEAD", container, null, null, Map.of(), 0, null, null).status();
  }

  public Response head(String container, String object) throws SwiftException {
    return send("HEAD", container, object, null, Map.of(), 0, null, null);
  }

  /** PUT of a small object held in memory (locks, sidecars). */
  public Response put(String container, String object, Map<String, String> headers, byte[] bytes)
      throws SwiftException {
    return send("PUT", container, object, null, headers, bytes.length,
        () -> new java.io.ByteArrayInputStream(bytes), null);
  }

  /** GET of an object, whole, into memory: for small objects only (see {@link #open}). */
  public Response get(String container, String object) throws SwiftException {
    return send("GET", container, object, null, Map.of(), 0, null, null);
  }

  /**
   * GET of an object as a stream; status 200 or a {@link SwiftException}. The caller closes the
   * stream.
   */
  public HttpResponse<InputStream> open(String container, String object) throws SwiftException {
    for (int attempt = 0; ; attempt++) {
      Token t = token();
      String u = t.storageUrl().toString().replaceAll("/+$", "") + "/" + encodePath(container) + "/"
          + encodePath(object);
      HttpRequest req = HttpRequest.newBuilder(URI.create(u)).timeout(timeout)
          .header("X-Auth-Token", t.token()).GET().build();
      HttpResponse<InputStream> r;
      try {
        r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw new SwiftException("GET " + container + "/" + object + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SwiftException("GET " + container + "/" + object + ": interrupted", e);
      }
      if (r.statusCode() == 200) {
        return r;
      }
      try (InputStream in = r.body()) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      } catch (IOException e) {
        // discarding
      }
      if (r.statusCode() == 401 && attempt == 0) {
        renew(t);
        continue;
      }
      throw new SwiftException(r.statusCode(), "GET " + container + "/" + object + ": HTTP " + r.statusCode());
    }
  }

  /** Server-side COPY within the account; 201 on success. Metadata travels with the object. */
  public int copy(String container, String from, String toContainer, String to) throws SwiftException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Destination", encodePath(toContainer) + "/" + encodePath(to));
    return send("COPY", container, from, null, h, 0, null, null).status();
  }

  /** DELETE: 204 on success, 404 when it is (already) gone. */
  public int delete(String container, String object) throws SwiftException {
    return send("DELETE", container, object, null, Map.of(), 0, null, null).status();
  }

  /** POST of object metadata (replaces all X-Object-Meta-*, may set X-Delete-At); 202 on success. */
  public int post(String container, String object, Map<String, String> headers) throws SwiftException {
    return send("POST", container, object, null, headers, 0, null, null).status();
  }

  /** One page of a container listing; {@code marker} null for the first page. */
  public List<SwiftObject> list(String container, String prefix, String marker, int limit) throws SwiftException {
    StringBuilder q = new StringBuilder("format=json&limit=").append(limit);
    if (prefix != null) {
      q.append("&prefix=").append(URLEncoder.encode(prefix, StandardCharsets.UTF_8));
    }
    if (marker != null) {
      q.append("&marker=").append(URLEncoder.encode(marker, StandardCharsets.UTF_8));
    }
    Response r = send("GET", container, null, q.toString(), Map.of(), 0, null, null);
    if (r.status() == 204) {
      return List.of();
    }
    if (r.status() != 200) {
      throw new SwiftException(r.status(), "list " + container + ": HTTP " + r.status());
    }
    List<SwiftObject> out = new ArrayList<>();
    try {
      for (JsonNode n : JSON.readTree(r.body())) {
        out.add(new SwiftObject(n.path("name").asText(), n.path("bytes").asLong(), n.path("hash").asText(),
            n.path("content_type").asText(), n.path("last_modified").asText()));
      }
    } catch (IOException e) {
      throw new SwiftException(502, "list " + container + ": bad JSON: " + e.getMessage());
    }
    return out;
  }

  /** Percent-encodes a container or object name for a URL path, keeping '/'. */
  public static String encodePath(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 16);
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
      }
    }
    return sb.toString();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
