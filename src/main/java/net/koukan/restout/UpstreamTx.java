package net.koukan.restout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import net.koukan.tx.TxJson;

/**
 * One transaction on the upstream, as its client sees it: its URL, the last ETag and what its
 * read JSON said. Writes use {@code If-Match} (a {@code 412} refreshes and retries); waiting is a
 * long-poll GET with {@code If-None-Match}, interleaved with empty-PATCH heartbeats so that an
 * upstream that times out idle transactions keeps this one. Not thread-safe.
 */
final class UpstreamTx {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final int MAX_CONFLICTS = 3;
  private static final HttpRequest.BodyPublisher NO_BODY = HttpRequest.BodyPublishers.noBody();

  private final UpstreamHttp http;
  private final URI uri;
  private final long heartbeatNanos;
  private String etag;
  private UpstreamView view = UpstreamView.EMPTY;
  private int rcptsSent;
  private long lastWrite = System.nanoTime();

  private UpstreamTx(UpstreamHttp http, URI uri, Duration heartbeat) {
    this.http = http;
    this.uri = uri;
    this.heartbeatNanos = heartbeat.isZero() ? Long.MAX_VALUE / 4 : heartbeat.toNanos();
  }

  /** POSTs {@code json} (carrying {@code rcpts} recipients) to {@code endpoint}; needs 201 + Location + ETag. */
  static UpstreamTx create(UpstreamHttp http, URI endpoint, ObjectNode json, int rcpts,
      Duration heartbeat, long deadline) throws UpstreamException, InterruptedException {
    UpstreamHttp.Reply r = http.send("POST", endpoint, json(json), deadline,
        withTimeout(deadline, "Content-Type", "application/json"));
    if (r.status() != 201) {
      throw UpstreamException.status(r.status(), "POST " + endpoint + " answered HTTP " + r.status() + detail(r));
    }
    String location = r.header("Location");
    if (location == null) {
      throw UpstreamException.protocol("POST " + endpoint + " answered 201 without Location");
    }
    UpstreamTx t = new UpstreamTx(http, resolveHttp(r.uri(), location), heartbeat);
    try {
      t.adopt(r, "POST", rcpts);
    } catch (UpstreamException e) {
      t.cancel();
      throw e;
    }
    t.rcptsSent = rcpts;
    return t;
  }

  URI uri() {
    return uri;
  }

  UpstreamView view() {
    return view;
  }

  int rcptsSent() {
    return rcptsSent;
  }

  /** The upstream will not act on this transaction any more (so it needs no cancel). */
  boolean finished() {
    return view.ended() || (view.data() != null && !view.data().temporary());
  }

  /** A URI the upstream named (a blob), resolved against the transaction's. */
  URI resolve(String u) throws UpstreamException {
    return resolveHttp(uri, u);
  }

  /** Records a write made outside this class (body upload), for heartbeat pacing. */
  void wrote() {
    lastWrite = System.nanoTime();
  }

  /** PATCHes a JSON delta that adds {@code newRcpts} recipients. */
  void patch(ObjectNode delta, int newRcpts, long deadline) throws UpstreamException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      UpstreamHttp.Reply r = http.send("PATCH", uri, json(delta), deadline,
          "Content-Type", "application/json", "If-Match", etag);
      lastWrite = System.nanoTime();
      if (r.status() == 412 && attempt < MAX_CONFLICTS) {
        refresh(deadline); // the upstream wrote (a response) since our last read
        continue;
      }
      adopt(r, "PATCH", rcptsSent + newRcpts);
      rcptsSent += newRcpts;
      return;
    }
  }

  /**
   * Hands a message-builder spec to a receiver that offered {@code body.message_builder.uri}
   * (spec §2.12); returns its answer, which names the blob URIs.
   */
  JsonNode postBuilder(URI builder, ObjectNode spec, long deadline) throws UpstreamException, InterruptedException {
    UpstreamHttp.Reply r = http.send("POST", builder, json(spec), deadline,
        "Content-Type", "application/json", "If-Match", etag);
    lastWrite = System.nanoTime();
    if (r.status() != 200) {
      throw UpstreamException.protocol("POST " + builder + " answered HTTP " + r.status() + detail(r));
    }
    JsonNode j = parseJson(r, "POST");
    if (r.header("ETag") != null) {
      etag = r.header("ETag");
      view = view.merge(UpstreamView.parse(j, rcptsSent));
    }
    return j;
  }

  /** Waits (long-poll, heartbeats) until {@code done} holds for the view, or fails at {@code deadline}. */
  void await(Predicate<UpstreamView> done, long deadline) throws UpstreamException, InterruptedException {
    while (!done.test(view)) {
      if (view.ended()) {
        throw UpstreamException.protocol("upstream transaction ended without answering"
            + (view.finalReason() == null ? " (cancelled)" : " (" + view.finalReason() + ")"));
      }
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        throw UpstreamException.timeout();
      }
      long beat = lastWrite + heartbeatNanos;
      if (now - beat >= 0) {
        heartbeat(deadline);
      } else {
        poll(beat - deadline < 0 ? beat : deadline);
      }
    }
  }

  /** Best effort: tells the upstream to drop this transaction; failures are only logged by the caller. */
  void cancel() {
    try {
      http.send("POST", URI.create(uri + "/cancel"), NO_BODY, System.nanoTime() + 5 * SECOND);
    } catch (UpstreamException | RuntimeException e) {
      // best effort: the upstream times the transaction out anyway
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ internals

  /** One long-poll GET ending by {@code until}; a timeout is not an error here (the caller checks). */
  private void poll(long until) throws UpstreamException, InterruptedException {
    long start = System.nanoTime();
    long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(until - start) - 1);
    UpstreamHttp.Reply r;
    try {
      r = http.send("GET", uri, NO_BODY, until, "If-None-Match", etag,
          "request-timeout", Long.toString(seconds));
    } catch (UpstreamException e) {
      if (e.kind() == UpstreamException.Kind.TIMEOUT) {
        return;
      }
      throw e;
    }
    if (r.status() != 304) {
      adopt(r, "GET", rcptsSent);
      return;
    }
    String e = r.header("ETag");
    if (e == null || !bare(e).equals(bare(etag))) {
      throw UpstreamException.protocol("GET " + uri + " answered 304 with ETag " + e + ", expected " + etag);
    }
    // a server that does not long-poll answers at once: poll at most once a second
    long pause = Math.min(start + SECOND, until) - System.nanoTime();
    if (pause > 0) {
      TimeUnit.NANOSECONDS.sleep(pause);
    }
  }

  private void heartbeat(long deadline) throws UpstreamException, InterruptedException {
    UpstreamHttp.Reply r = http.send("PATCH", uri, NO_BODY, deadline, "If-Match", etag);
    lastWrite = System.nanoTime();
    if (r.status() == 412) {
      refresh(deadline);
    } else {
      adopt(r, "PATCH", rcptsSent);
    }
  }

  /** A point read: the current ETag and JSON. */
  private void refresh(long deadline) throws UpstreamException, InterruptedException {
    adopt(http.send("GET", uri, NO_BODY, deadline), "GET", rcptsSent);
  }

  /** Takes the ETag and JSON of a successful answer (201 for POST, 200 otherwise). */
  private void adopt(UpstreamHttp.Reply r, String method, int rcpts) throws UpstreamException {
    int expected = method.equals("POST") ? 201 : 200;
    if (r.status() != expected) {
      throw UpstreamException.status(r.status(), method + " " + r.uri() + " answered HTTP " + r.status() + detail(r));
    }
    String e = r.header("ETag");
    if (e == null || e.isBlank()) {
      throw UpstreamException.protocol(method + " " + r.uri() + " answered without ETag");
    }
    UpstreamView v = UpstreamView.parse(parseJson(r, method), rcpts);
    etag = e.trim();
    view = view.merge(v);
  }

  private static JsonNode parseJson(UpstreamHttp.Reply r, String method) throws UpstreamException {
    String ct = r.header("Content-Type");
    if (ct == null || !ct.toLowerCase(Locale.ROOT).strip().startsWith("application/json")) {
      throw UpstreamException.protocol(method + " " + r.uri() + " answered "
          + (ct == null ? "no Content-Type" : ct) + ", not JSON");
    }
    try {
      return TxJson.MAPPER.readTree(r.body());
    } catch (JsonProcessingException e) {
      throw UpstreamException.protocol(method + " " + r.uri() + " answered invalid JSON");
    } catch (IOException e) {
      throw UpstreamException.protocol(method + " " + r.uri() + " answered unreadable JSON");
    }
  }

  private static HttpRequest.BodyPublisher json(ObjectNode o) {
    return HttpRequest.BodyPublishers.ofByteArray(o.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Adds the reference's {@code request-timeout} (seconds left - 1) when that is at least 1. */
  private static String[] withTimeout(long deadline, String... headers) {
    long s = TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()) - 1;
    if (s < 1) {
      return headers;
    }
    String[] h = java.util.Arrays.copyOf(headers, headers.length + 2);
    h[headers.length] = "request-timeout";
    h[headers.length + 1] = Long.toString(s);
    return h;
  }

  private static String detail(UpstreamHttp.Reply r) {
    return r.body().length == 0 ? "" : ": " + r.excerpt();
  }

  /** {@code W/"7"}, {@code "7"} and {@code 7} are the same ETag. */
  static String bare(String etag) {
    String s = etag.trim();
    if (s.startsWith("W/")) {
      s = s.substring(2);
    }
    if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
      s = s.substring(1, s.length() - 1);
    }
    return s;
  }

  static URI resolveHttp(URI base, String u) throws UpstreamException {
    URI r;
    try {
      r = base.resolve(u.strip());
    } catch (IllegalArgumentException e) {
      throw UpstreamException.protocol("upstream named an invalid URL");
    }
    if (!"http".equalsIgnoreCase(r.getScheme()) && !"https".equalsIgnoreCase(r.getScheme())) {
      throw UpstreamException.protocol("upstream named a non-HTTP URL " + r);
    }
    return r;
  }
}
