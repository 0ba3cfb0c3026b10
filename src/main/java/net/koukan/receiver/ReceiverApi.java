package net.koukan.receiver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import net.koukan.tx.Envelope;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import net.koukan.tx.TxValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver's routes (spec §2.1 / §2.12), in the router's dialect: JSON errors with a
 * {@code code}, bare-decimal ETags, {@code request-timeout} long-polls. Differences from a router:
 * every recipient is accepted at once ({@code 250}); the create may carry zero or more
 * recipients and PATCH may add more (so incremental and one-shot clients both work); the body is
 * only taken by PUT (whole or in {@code Content-Range} pieces, unlike the reference's example
 * receiver, which refuses ranges); parsed message JSON ({@code body.message_builder.uri}) is not
 * offered yet.
 */
final class ReceiverApi {
  private static final Logger log = LoggerFactory.getLogger(ReceiverApi.class);
  private static final HeaderName REQUEST_TIMEOUT = HeaderNames.create("request-timeout");
  private static final HeaderName FINALIZE_LENGTH = HeaderNames.create("x-finalize-blob-length");
  private static final int MAX_JSON = 1 << 20;

  private final ReceiverSettings settings;
  private final Clock clock;
  private final MessageFiles files;
  private final BodyWriter writer;
  private final ConcurrentHashMap<String, ReceivedTx> txs = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private volatile String base;

  ReceiverApi(ReceiverSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.files = new MessageFiles(settings.dir());
    this.writer = new BodyWriter(files, settings.maxMessageSize(), clock);
  }

  /** The URL prefix of Location and blob URIs; set once the listener's port is known. */
  void base(String uri) {
    base = uri;
  }

  void register(HttpRouting.Builder r) {
    r.post("/senders/{sender}/transactions", guard(this::create))
        .get("/transactions/{id}", guard(this::get))
        .patch("/transactions/{id}", guard(this::patch))
        .put("/transactions/{id}/body", guard(this::put))
        .post("/transactions/{id}/cancel", guard(this::cancel));
  }

  // ------------------------------------------------------------------ create

  private void create(ServerRequest req, ServerResponse res) {
    requireJson(req);
    TxDelta d = TxJson.parse(parseJson(readBody(req, MAX_JSON)), TxJson.Op.CREATE);
    if (d.mailFrom() == null) {
      throw ReceiverException.badRequest("mail_from is required");
    }
    if (d.body() != null) {
      throw ReceiverException.badRequest("this receiver takes the body by PUT to body.blob_status.uri");
    }
    if (txs.size() >= settings.maxTransactions()) {
      throw new ReceiverException(503, "too_busy", "too many transactions in progress, retry later");
    }
    String sender = req.path().pathParameters().get("sender");
    ReceivedTx t = new ReceivedTx(newId(), Envelope.create(sender, d.senderTag(), d), clock.millis());
    txs.put(t.id, t);
    res.status(201);
    res.header(HeaderNames.LOCATION, base + "/transactions/" + t.id);
    sendTx(res, t);
  }

  /** 22 URL-safe characters; never starting with '-', so file names do not look like options. */
  private String newId() {
    byte[] b = new byte[16];
    String id;
    do {
      random.nextBytes(b);
      id = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    } while (id.startsWith("-"));
    return id;
  }

  // ------------------------------------------------------------------ read / long-poll

  private void get(ServerRequest req, ServerResponse res) throws InterruptedException {
    ReceivedTx t = find(req);
    Optional<String> inm = req.headers().first(HeaderNames.IF_NONE_MATCH);
    if (inm.isEmpty()) {
      sendTx(res, t);
      return;
    }
    long etag = parseEtag(inm.get(), "If-None-Match");
    int timeout = requestTimeout(req);
    t.lock.lock();
    try {
      t.awaitChange(etag, timeout);
      if (t.version() == etag) {
        res.status(304);
        res.header(HeaderNames.ETAG, inm.get().trim());
        res.send();
        return;
      }
    } finally {
      t.lock.unlock();
    }
    t.touch(clock.millis());
    sendTx(res, t);
  }

  private int requestTimeout(ServerRequest req) {
    String v = req.headers().first(REQUEST_TIMEOUT).map(String::trim).orElse("");
    if (v.isEmpty()) {
      return settings.maxLongPollSeconds();
    }
    try {
      return (int) Math.max(0, Math.min(Long.parseLong(v), settings.maxLongPollSeconds()));
    } catch (NumberFormatException e) {
      throw ReceiverException.badRequest("request-timeout must be an integer number of seconds");
    }
  }

  // ------------------------------------------------------------------ update / heartbeat

  private void patch(ServerRequest req, ServerResponse res) {
    ReceivedTx t = find(req);
    String ifMatch = req.headers().first(HeaderNames.IF_MATCH).orElseThrow(() ->
        new ReceiverException(400, "etag_required", "etags required for update (If-Match)"));
    long expected = parseEtag(ifMatch, "If-Match");
    boolean hasType = req.headers().contentType().isPresent();
    byte[] body = readBody(req, MAX_JSON);
    TxDelta d = null;
    if (body.length > 0 || hasType) {
      requireJson(req);
      d = TxJson.parse(parseJson(body), TxJson.Op.UPDATE);
      if (d.mailFrom() != null) {
        throw ReceiverException.badRequest("mail_from is already set");
      }
      if (d.body() != null) {
        throw ReceiverException.badRequest("this receiver takes the body by PUT to body.blob_status.uri");
      }
    }
    t.lock.lock();
    try {
      if (t.version() != expected) {
        throw new ReceiverException(412, "update_conflict", "update conflict");
      }
      if (d != null && !d.rcptTo().isEmpty() && (t.data() != null || t.cancelled())) {
        throw new ReceiverException(409, "final", "the transaction is already final");
      }
      if (d != null) {
        t.envelope(t.envelope().apply(d));
      }
      t.bump();
    } finally {
      t.lock.unlock();
    }
    sendTx(res, t);
  }

  // ------------------------------------------------------------------ body

  private void put(ServerRequest req, ServerResponse res) throws IOException {
    ReceivedTx t = find(req);
    BodyWriter.Request w = BodyWriter.Request.of(
        req.headers().first(HeaderNames.CONTENT_RANGE).orElse(null),
        req.headers().first(FINALIZE_LENGTH).orElse(null),
        req.headers().contentLength().isPresent() ? req.headers().contentLength().getAsLong() : null);
    BodyWriter.Result r;
    try (InputStream in = req.content().inputStream()) {
      r = writer.write(t, w, in, base);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    res.status(200);
    res.header(HeaderNames.CONTENT_RANGE, r.contentRange());
    res.header(HeaderNames.ETAG, Long.toString(r.version()));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send("{}".getBytes(StandardCharsets.UTF_8));
  }

  // ------------------------------------------------------------------ cancel

  private void cancel(ServerRequest req, ServerResponse res) {
    ReceivedTx t = find(req);
    t.lock.lock();
    try {
      if (t.cancel()) {
        t.bump();
      }
    } finally {
      t.lock.unlock();
    }
    writer.discardIfIdle(t);
    res.status(200);
    res.send();
  }

  // ------------------------------------------------------------------ GC

  /** Forgets transactions idle for longer than the TTL; returns how many. */
  int gc() {
    long now = clock.millis();
    int n = 0;
    for (ReceivedTx t : txs.values()) {
      if (now - t.lastActivity() > settings.ttl().toMillis() && txs.remove(t.id, t)) {
        t.lock.lock();
        try {
          if (t.cancel()) {
            t.bump();
          }
        } finally {
          t.lock.unlock();
        }
        writer.discardIfIdle(t);
        n++;
      }
    }
    if (n > 0) {
      log.info("receiver: forgot {} idle transaction(s)", n);
    }
    return n;
  }

  /** Drops every transaction (shutdown): partial bodies are deleted. */
  void closeAll() {
    for (ReceivedTx t : txs.values()) {
      txs.remove(t.id);
      t.lock.lock();
      try {
        t.cancel();
      } finally {
        t.lock.unlock();
      }
      writer.discardIfIdle(t);
    }
  }

  // ------------------------------------------------------------------ helpers

  private ReceivedTx find(ServerRequest req) {
    String id = req.path().pathParameters().get("id");
    ReceivedTx t = txs.get(id);
    if (t == null) {
      throw new ReceiverException(404, "not_found", "transaction " + id + " not found");
    }
    t.touch(clock.millis());
    return t;
  }

  private void sendTx(ServerResponse res, ReceivedTx t) {
    ObjectNode json;
    long version;
    t.lock.lock();
    try {
      json = t.render(base);
      version = t.version();
    } finally {
      t.lock.unlock();
    }
    res.header(HeaderNames.ETAG, Long.toString(version));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(json.toString().getBytes(StandardCharsets.UTF_8));
  }

  static long parseEtag(String h, String header) {
    String s = h.trim();
    if (s.startsWith("W/")) {
      s = s.substring(2);
    }
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      s = s.substring(1, s.length() - 1);
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw ReceiverException.badRequest(header + " is not a valid etag: " + h);
    }
  }

  private static void requireJson(ServerRequest req) {
    Optional<HttpMediaType> ct = req.headers().contentType();
    if (ct.isEmpty() || !ct.get().mediaType().text().equalsIgnoreCase("application/json")) {
      throw new ReceiverException(415, "unsupported_media_type", "Content-Type must be application/json");
    }
  }

  private static JsonNode parseJson(byte[] body) {
    if (body.length == 0) {
      throw ReceiverException.badRequest("empty request body; a JSON object is required");
    }
    try {
      return TxJson.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ReceiverException(400, "invalid_json", "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] readBody(ServerRequest req, int limit) {
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    try (InputStream in = req.content().inputStream()) {
      byte[] b = in.readNBytes(limit + 1);
      if (b.length > limit) {
        throw new ReceiverException(413, "too_large", "request body exceeds " + limit + " bytes");
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FunctionalInterface
  interface Route {
    void handle(ServerRequest req, ServerResponse res) throws Exception;
  }

  private static io.helidon.webserver.http.Handler guard(Route route) {
    return (req, res) -> {
      try {
        route.handle(req, res);
      } catch (ReceiverException e) {
        sendError(res, e.status(), e.code(), e.getMessage(), e.headers());
      } catch (TxValidationException e) {
        sendError(res, 400, "bad_request", e.getMessage(), Map.of());
      } catch (IOException | UncheckedIOException e) {
        // usually the client went away mid-request; what was stored stays for a resumed upload
        log.info("receiver: {} {}: {}", req.prologue().method(), req.path().path(), e.toString());
        sendError(res, 400, "io_error", "the request could not be read", Map.of());
      } catch (Exception e) {
        log.error("receiver: internal error on {} {}", req.prologue().method(), req.path().path(), e);
        sendError(res, 500, "internal", "internal error", Map.of());
      }
    };
  }

  static void sendError(ServerResponse res, int status, String code, String message,
      Map<String, String> headers) {
    if (res.isSent()) {
      return;
    }
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    o.put("code", code);
    o.put("message", message == null ? code : message);
    res.status(status);
    headers.forEach(res::header);
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(o.toString().getBytes(StandardCharsets.UTF_8));
  }
}
