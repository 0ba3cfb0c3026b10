package net.koukan.rest;

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
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import net.koukan.storage.BlobWrite;
import net.koukan.storage.Storage;
import net.koukan.storage.StorageException;
import net.koukan.storage.TxRow;
import net.koukan.storage.VersionWatch;
import net.koukan.tx.Envelope;
import net.koukan.tx.BuilderIds;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import net.koukan.tx.TxValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The routes of spec §2.1 over {@link Storage}. */
public final class TransactionApi {
  private static final Logger log = LoggerFactory.getLogger(TransactionApi.class);
  static final HeaderName REQUEST_TIMEOUT = HeaderNames.create("request-timeout");
  static final HeaderName FINALIZE_LENGTH = HeaderNames.create("x-finalize-blob-length");
  /** Largest JSON request accepted beyond the blob limit (envelope, spec, encoding overhead). */
  private static final int JSON_OVERHEAD = 1 << 20;
  /** Cross-replica long-poll: first re-read of the version after this long… */
  static final long POLL_MIN_MILLIS = 50;
  /** …doubling up to this. */
  static final long POLL_MAX_MILLIS = 1_000;

  private final Storage storage;
  private final SenderPolicy.Resolver senders;
  private final RestSettings settings;
  private final Dispatcher dispatcher;
  private final SecureRandom random = new SecureRandom();
  /**
   * Upload buffers ({@code chunk_size} bytes) kept between requests: a 100 MB body arrives as a
   * hundred 1 MiB pieces, and a new buffer for each made the heap, and the RSS, grow.
   */
  private final java.util.concurrent.ArrayBlockingQueue<byte[]> uploadBuffers =
      new java.util.concurrent.ArrayBlockingQueue<>(4);
  private volatile String messageIdDomain = "localhost";

  public TransactionApi(Storage storage, SenderPolicy.Resolver senders, RestSettings settings,
      Dispatcher dispatcher) {
    this.storage = storage;
    this.senders = senders;
    this.settings = settings;
    this.dispatcher = dispatcher;
  }

  /**
   * The domain of the Message-IDs given to message-builder bodies that come without one and whose
   * From and MAIL FROM have no usable domain (this host's name). Returns this.
   */
  public TransactionApi messageIdDomain(String domain) {
    this.messageIdDomain = domain;
    return this;
  }

  /** A builder body gets its Date and Message-ID now, once, in the stored spec ({@link BuilderIds}). */
  private TxDelta withIds(TxDelta d, TxRow row) {
    if (d.body() == null) {
      return d;
    }
    var from = d.mailFrom() != null ? d.mailFrom() : row == null ? null : row.envelope().mailFrom();
    String fallback = messageIdDomain;
    if (from != null) {
      String a = from.address();
      String dom = a.substring(a.lastIndexOf('@') + 1);
      if (a.contains("@") && dom.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")) {
        fallback = dom;
      }
    }
    return BuilderIds.complete(d, storage.clock().instant(), fallback);
  }

  public void register(HttpRouting.Builder r) {
    r.post("/senders/{sender}/transactions", guard(this::create))
        .get("/transactions/{id}", guard(this::get))
        .patch("/transactions/{id}", guard(this::patch))
        .put("/transactions/{id}/body", guard((req, res) -> put(req, res, Storage.BODY)))
        .put("/transactions/{id}/blob/{blob}", guard((req, res) -> {
          String blob = req.path().pathParameters().get("blob");
          if (!TxJson.validBlobId(blob)) {
            throw ApiException.notFound("blob " + blob + " not found");
          }
          put(req, res, blob);
        }))
        .post("/transactions/{id}/cancel", guard(this::cancel));
  }

  @FunctionalInterface
  interface Route {
    void handle(ServerRequest req, ServerResponse res) throws Exception;
  }

  /** Maps every failure to a JSON error; nothing escapes as a stack trace. */
  private static io.helidon.webserver.http.Handler guard(Route route) {
    return (req, res) -> {
      try {
        route.handle(req, res);
      } catch (ApiException e) {
        sendError(res, e.status(), e.code(), e.getMessage(), e.headers());
      } catch (TxValidationException e) {
        sendError(res, 400, "bad_request", e.getMessage(), Map.of());
      } catch (StorageException e) {
        switch (e.kind()) {
          case NOT_FOUND -> sendError(res, 404, "not_found", e.getMessage(), Map.of());
          case VERSION_CONFLICT -> sendError(res, 412, "update_conflict", e.getMessage(), Map.of());
          case INVALID -> sendError(res, 400, "bad_request", e.getMessage(), Map.of());
          case INVALID_RANGE -> sendError(res, 416, "invalid_range", e.getMessage(), Map.of());
          case TOO_LARGE -> sendError(res, 413, "too_large", e.getMessage(), Map.of());
          case LEASE_LOST -> sendError(res, 409, "lease_lost", e.getMessage(), Map.of());
          case UNAVAILABLE -> {
            log.warn("storage unavailable: {}", e.getMessage());
            sendError(res, 503, "storage_unavailable", "storage unavailable, retry later", Map.of());
          }
        }
      } catch (Exception e) {
        log.error("internal error on {} {}", req.prologue().method(), req.path().path(), e);
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

  // ------------------------------------------------------------------ create

  private void create(ServerRequest req, ServerResponse res) {
    String sender = req.path().pathParameters().get("sender");
    requireJson(req);
    JsonNode json = readJson(req);
    TxDelta delta = withIds(TxJson.parse(json, TxJson.Op.CREATE), null);
    SenderPolicy policy = senders.resolve(sender, delta.senderTag())
        .orElseThrow(() -> new ApiException(404, "unknown_sender",
            "unknown sender " + sender + (delta.senderTag() == null ? "" : " tag " + delta.senderTag())));
    if (!policy.incremental()) {
      if (delta.mailFrom() == null) {
        throw ApiException.badRequest("mail_from is required");
      }
      if (delta.rcptTo().size() != 1) {
        throw ApiException.badRequest("exactly one rcpt_to is required for this sender");
      }
    }
    Envelope env = Envelope.create(sender, delta.senderTag(), delta);
    boolean cut = dispatcher.cutThrough();
    TxRow row = storage.create(new Storage.NewTx(newRestId(), env, delta.body(),
        policy.incremental(), policy.retry(), policy.notification(), cut));
    if (cut) {
      dispatcher.created(row);
    }
    res.status(201);
    res.header(HeaderNames.LOCATION, settings.sessionUri() + "/transactions/" + row.restId());
    sendTx(res, row);
  }

  String newRestId() {
    byte[] b = new byte[settings.restIdEntropy()];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  // ------------------------------------------------------------------ read / long-poll

  private void get(ServerRequest req, ServerResponse res) throws InterruptedException {
    String id = req.path().pathParameters().get("id");
    Optional<String> inm = req.headers().first(HeaderNames.IF_NONE_MATCH);
    if (inm.isEmpty()) {
      TxRow row = load(id);
      redirectIfLeasedElsewhere(req, row);
      sendTx(res, row);
      return;
    }
    long etag = parseEtag(inm.get(), "If-None-Match");
    int timeout = requestTimeout(req);
    try (VersionWatch.Watch w = storage.watch().watch(id)) {
      TxRow row = load(id); // after registering, so no write can slip between read and wait
      redirectIfLeasedElsewhere(req, row);
      if (row.version() != etag || timeout == 0) {
        sendTxOrNotModified(res, row, etag, inm.get());
        return;
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeout);
      if (!awaitChange(w, id, etag, deadline)) {
        notModified(res, inm.get());
        return;
      }
      sendTxOrNotModified(res, load(id), etag, inm.get());
    }
  }

  /**
   * Waits until the transaction's version is no longer {@code etag} or the deadline passes. Writes
   * in this process wake the wait at once; writes by other replicas on the same database (a
   * dequeuer there starting an attempt, a lease released by a session sweep) are seen by
   * re-reading the version with back-off: {@link #POLL_MIN_MILLIS} doubling up to
   * {@link #POLL_MAX_MILLIS}, so an idle wait costs about one small query a second. Plain SQL, no
   * change notifications (as the reference). A database error while waiting only skips that
   * look; local wake-ups still work.
   */
  private boolean awaitChange(VersionWatch.Watch w, String id, long etag, long deadline)
      throws InterruptedException {
    long pause = TimeUnit.MILLISECONDS.toNanos(POLL_MIN_MILLIS);
    while (true) {
      long until = Math.min(deadline, System.nanoTime() + pause);
      if (w.awaitNewer(etag, until) >= 0) {
        return true;
      }
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      try {
        Optional<Long> v = storage.version(id);
        if (v.isEmpty() || v.get() != etag) {
          return true; // changed, or removed (the reload answers 404)
        }
      } catch (StorageException e) {
        if (e.kind() != StorageException.Kind.UNAVAILABLE) {
          throw e;
        }
      }
      pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(POLL_MAX_MILLIS));
    }
  }

  private void sendTxOrNotModified(ServerResponse res, TxRow row, long etag, String raw) {
    if (row.version() == etag) {
      notModified(res, raw);
    } else {
      sendTx(res, row);
    }
  }

  /** 304 echoes the client's own If-None-Match, which the reference's client compares verbatim. */
  private static void notModified(ServerResponse res, String ifNoneMatch) {
    res.status(304);
    res.header(HeaderNames.ETAG, ifNoneMatch.trim());
    res.send();
  }

  private int requestTimeout(ServerRequest req) {
    Optional<String> h = req.headers().first(REQUEST_TIMEOUT);
    if (h.isEmpty()) {
      return settings.maxLongPollSeconds();
    }
    String v = h.get().trim();
    if (v.isEmpty()) {
      return settings.maxLongPollSeconds();
    }
    try {
      long t = Long.parseLong(v.startsWith("+") ? v.substring(1) : v);
      return (int) Math.max(0, Math.min(t, settings.maxLongPollSeconds()));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("request-timeout must be a non-negative integer (seconds)");
    }
  }

  // ------------------------------------------------------------------ update

  private void patch(ServerRequest req, ServerResponse res) {
    String id = req.path().pathParameters().get("id");
    Optional<String> ifMatch = req.headers().first(HeaderNames.IF_MATCH);
    if (ifMatch.isEmpty()) {
      throw new ApiException(400, "etag_required", "etags required for update (If-Match)");
    }
    long expected = parseEtag(ifMatch.get(), "If-Match");
    TxRow row = load(id);
    redirectIfLeasedElsewhere(req, row);
    TxDelta delta = null;
    boolean hasContentType = req.headers().contentType().isPresent();
    byte[] body = readBody(req, JSON_OVERHEAD + settings.maxBlobSize());
    if (body.length > 0 || hasContentType) {
      requireJson(req);
      delta = withIds(TxJson.parse(parseJson(body), TxJson.Op.UPDATE), row);
      boolean incremental = senders.resolve(row.envelope().sender(), row.envelope().tag())
          .map(SenderPolicy::incremental).orElse(false);
      boolean onlyFilterOutput = delta.mailFrom() == null && delta.rcptTo().isEmpty()
          && delta.body() == null;
      if (!incremental && !onlyFilterOutput) {
        throw ApiException.badRequest("endpoint does not accept incremental updates");
      }
    }
    TxRow updated = storage.update(id, expected, delta);
    sendTx(res, updated);
  }

  // ------------------------------------------------------------------ cancel

  private void cancel(ServerRequest req, ServerResponse res) {
    String id = req.path().pathParameters().get("id");
    TxRow row = load(id);
    redirectIfLeasedElsewhere(req, row);
    long v = storage.cancel(id);
    res.status(200);
    res.header(HeaderNames.ETAG, etag(v));
    res.send();
  }

  // ------------------------------------------------------------------ blob upload

  private void put(ServerRequest req, ServerResponse res, String blob) throws IOException {
    String id = req.path().pathParameters().get("id");
    TxRow row = load(id);
    redirectIfLeasedElsewhere(req, row);
    OptionalLong contentLength = req.headers().contentLength();
    Optional<String> finalize = req.headers().first(FINALIZE_LENGTH);
    Optional<String> rangeHeader = req.headers().first(HeaderNames.CONTENT_RANGE);
    if (finalize.isPresent()) {
      if (rangeHeader.isPresent()) {
        throw ApiException.badRequest("x-finalize-blob-length and Content-Range are exclusive");
      }
      long n;
      try {
        n = Long.parseLong(finalize.get().trim());
        if (n < 0) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("x-finalize-blob-length must be a non-negative integer");
      }
      if (readBody(req, 1).length > 0) {
        throw ApiException.badRequest("x-finalize-blob-length requires an empty body");
      }
      BlobWrite w = appendOrRange(id, blob, n, new byte[0], 0, n);
      sendBlobWrite(res, w);
      return;
    }
    long offset = 0;
    Long total = null;
    Long expectedLength = null;
    if (rangeHeader.isPresent()) {
      if (contentLength.isEmpty()) {
        throw ApiException.badRequest("Content-Range requires Content-Length");
      }
      ContentRange cr = ContentRange.parse(rangeHeader.get());
      if (cr.length() != contentLength.getAsLong()) {
        throw ApiException.badRequest("Content-Range covers " + cr.length()
            + " bytes but Content-Length is " + contentLength.getAsLong());
      }
      offset = cr.first();
      total = cr.total();
      expectedLength = cr.length();
    } else if (contentLength.isPresent()) {
      total = contentLength.getAsLong();
      expectedLength = total;
    }
    long max = settings.maxBlobSize();
    if ((total != null && total > max) || (expectedLength != null && offset + expectedLength > max)) {
      throw new ApiException(413, "too_large", "body exceeds the limit of " + max + " bytes");
    }
    BlobWrite w = streamUpload(req, id, blob, offset, total, rangeHeader.isEmpty());
    sendBlobWrite(res, w);
  }

  /**
   * Streams the request entity into the blob in chunks; each chunk is one durable append. When
   * the total is unknown and this is a whole upload, end of input declares it.
   */
  private BlobWrite streamUpload(ServerRequest req, String id, String blob, long offset,
      Long total, boolean whole) throws IOException {
    int chunk = settings.chunkSize();
    byte[] pooled = uploadBuffers.poll();
    byte[] buf = pooled != null && pooled.length == chunk ? pooled : new byte[chunk];
    long pos = offset;
    BlobWrite last = null;
    long max = settings.maxBlobSize();
    try (InputStream in = req.content().inputStream()) {
      while (true) {
        int n = in.readNBytes(buf, 0, chunk);
        boolean eof = n < chunk;
        if (pos + n > max) {
          throw new ApiException(413, "too_large", "body exceeds the limit of " + max + " bytes");
        }
        Long declare = total;
        if (declare == null && whole && eof) {
          declare = pos + n;
        }
        if (n > 0 || declare != null || last == null) {
          last = appendOrRange(id, blob, pos, buf, n, declare);
        }
        pos += n;
        if (eof) {
          break;
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      uploadBuffers.offer(buf); // storage copied what it kept; nothing else holds buf
    }
    return last;
  }

  private BlobWrite appendOrRange(String id, String blob, long offset, byte[] data, int len,
      Long total) {
    try {
      return storage.append(id, blob, offset, data, len, total);
    } catch (Storage.InvalidRange e) {
      throw new ApiException(416, "invalid_range", e.getMessage(),
          Map.of("Content-Range", contentRange(e.stored(), e.length())));
    }
  }

  private void sendBlobWrite(ServerResponse res, BlobWrite w) {
    res.status(200);
    res.header(HeaderNames.CONTENT_RANGE, contentRange(w.stored(), w.length()));
    res.header(HeaderNames.ETAG, etag(w.version()));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send("{}".getBytes(StandardCharsets.UTF_8));
  }

  static String contentRange(long stored, Long length) {
    String total = length == null ? "*" : Long.toString(length);
    if (stored == 0) {
      return "bytes */" + total;
    }
    return "bytes 0-" + (stored - 1) + "/" + total;
  }

  // ------------------------------------------------------------------ helpers

  private TxRow load(String id) {
    return storage.read(id).orElseThrow(() -> ApiException.notFound("transaction " + id + " not found"));
  }

  /** Requests that need the lease holder get 308 to its session URI (spec §1.7). */
  private void redirectIfLeasedElsewhere(ServerRequest req, TxRow row) {
    if (row.leaseSessionId() == null || row.leaseUri() == null
        || row.leaseSessionId() == storage.sessionId()
        || row.leaseUri().equals(settings.sessionUri())) {
      return;
    }
    String path = req.path().rawPath();
    throw new ApiException(308, "redirect", "transaction is handled by " + row.leaseUri(),
        Map.of("Location", row.leaseUri() + path));
  }

  private void sendTx(ServerResponse res, TxRow row) {
    res.header(HeaderNames.ETAG, etag(row.version()));
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(TxView.render(row, settings).toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The reference sends the bare decimal version; we do the same for its clients. */
  static String etag(long version) {
    return Long.toString(version);
  }

  /** Accepts {@code 5}, {@code "5"} and {@code W/"5"}. */
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
      throw ApiException.badRequest(header + " is not a valid etag: " + h);
    }
  }

  private static void requireJson(ServerRequest req) {
    Optional<HttpMediaType> ct = req.headers().contentType();
    if (ct.isEmpty() || !ct.get().mediaType().text().equalsIgnoreCase("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "Content-Type must be application/json");
    }
  }

  private JsonNode readJson(ServerRequest req) {
    return parseJson(readBody(req, JSON_OVERHEAD + settings.maxBlobSize()));
  }

  private static JsonNode parseJson(byte[] body) {
    if (body.length == 0) {
      throw ApiException.badRequest("empty request body; a JSON object is required");
    }
    try {
      return TxJson.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new ApiException(400, "invalid_json", "malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads the whole entity, refusing more than {@code limit} bytes with 413. */
  private static byte[] readBody(ServerRequest req, long limit) {
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    OptionalLong cl = req.headers().contentLength();
    if (cl.isPresent() && cl.getAsLong() > limit) {
      throw new ApiException(413, "too_large", "request body exceeds " + limit + " bytes");
    }
    try (InputStream in = req.content().inputStream()) {
      byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (b.length > limit) {
        throw new ApiException(413, "too_large", "request body exceeds " + limit + " bytes");
      }
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
