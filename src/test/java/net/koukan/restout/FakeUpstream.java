package net.koukan.restout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;

/**
 * An upstream speaking the REST dialect in the test JVM (JDK HttpServer on loopback, a virtual
 * thread per exchange), scripted per test: which response MAIL/RCPT/DATA get (null: never
 * answer), after what delay, and hooks to break the protocol. It records every request.
 * Transactions are under {@code /transactions/<id>} and also {@code /moved/transactions/<id>}
 * (a redirect target).
 */
final class FakeUpstream implements AutoCloseable {
  static final Response OK = new Response(250, "ok");

  /** A request as received; {@code body} is null for requests an interceptor took. */
  record Req(String method, String path, Map<String, List<String>> headers, byte[] body, long at) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    JsonNode json() {
      try {
        return TxJson.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
      }
    }

    @Override
    public String toString() {
      return method + " " + path + " @" + (at / 1_000_000 % 100_000);
    }
  }

  /** Takes a request before its body is read; returns true when it answered it. */
  interface Interceptor {
    boolean handle(Req head, HttpExchange ex) throws IOException;
  }

  /** One upstream transaction. */
  static final class Tx {
    final String id;
    final JsonNode create;
    final ReentrantLock lock = new ReentrantLock();
    final Condition changed = lock.newCondition();
    long version = 1;
    Response mail;
    final List<String> rcpts = new ArrayList<>();
    final List<Response> rcptResponses = new ArrayList<>();
    Response data;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    Long total;
    boolean finalized;
    boolean cancelled;
    JsonNode builderSpec;
    final Map<String, byte[]> blobs = new LinkedHashMap<>();

    Tx(String id, JsonNode create) {
      this.id = id;
      this.create = create;
    }

    void change(Runnable r) {
      lock.lock();
      try {
        r.run();
        version++;
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }

    byte[] body() {
      lock.lock();
      try {
        return body.toByteArray();
      } finally {
        lock.unlock();
      }
    }
  }

  private static final Pattern CREATE = Pattern.compile(".*/senders/[^/]+/transactions");
  private static final Pattern TX = Pattern.compile(
      "(?:/moved)?/transactions/([^/]+)(/body|/cancel|/message_builder|/blob/[^/]+)?");

  final HttpServer server;
  final String base;
  final List<Req> requests = new CopyOnWriteArrayList<>();
  final Map<String, Tx> txs = new ConcurrentHashMap<>();
  private final AtomicInteger ids = new AtomicInteger();

  // the script
  volatile Function<JsonNode, Response> mail = j -> OK;
  volatile Function<String, Response> rcpt = a -> OK;
  volatile Supplier<Response> data = () -> new Response(250, "2.0.0 queued");
  volatile long answerDelayMillis;
  volatile long dataDelayMillis;
  volatile boolean offerBuilder;
  volatile Interceptor interceptor;
  /** Runs before each body PUT is processed (e.g. to lose stored bytes). */
  volatile Consumer<Tx> beforePut;

  FakeUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", ex -> {
      try {
        handle(ex);
      } finally {
        ex.close();
      }
    });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  String endpoint() {
    return base + "/senders/router/transactions";
  }

  List<Req> requests(String method, String pathPart) {
    return requests.stream().filter(r -> r.method().equals(method) && r.path().contains(pathPart)).toList();
  }

  /** The only transaction created (fails if there are several). */
  Tx onlyTx() {
    if (txs.size() != 1) {
      throw new AssertionError("expected one upstream transaction, have " + txs.keySet());
    }
    return txs.values().iterator().next();
  }

  Tx tx(int n) {
    return txs.get("t" + n);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // ------------------------------------------------------------------ dispatch

  private void handle(HttpExchange ex) throws IOException {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getRawPath();
    Req head = new Req(method, path, headers, null, System.nanoTime());
    Interceptor i = interceptor;
    if (i != null && i.handle(head, ex)) {
      requests.add(head);
      return;
    }
    Req r = new Req(method, path, headers, ex.getRequestBody().readAllBytes(), head.at());
    requests.add(r);
    if (method.equals("POST") && CREATE.matcher(path).matches()) {
      create(r, ex);
      return;
    }
    Matcher m = TX.matcher(path);
    Tx t = m.matches() ? txs.get(m.group(1)) : null;
    if (t == null) {
      send(ex, 404, null, "{\"code\":\"not_found\",\"message\":\"no such transaction\"}");
      return;
    }
    String sub = m.group(2) == null ? "" : m.group(2);
    switch (method + " " + (sub.startsWith("/blob/") ? "/blob" : sub)) {
      case "GET " -> get(t, r, ex);
      case "PATCH " -> patch(t, r, ex);
      case "PUT /body" -> put(t, r, ex);
      case "PUT /blob" -> putBlob(t, sub.substring(6), r, ex);
      case "POST /cancel" -> {
        t.change(() -> t.cancelled = true);
        send(ex, 200, null, "");
      }
      case "POST /message_builder" -> builder(t, r, ex);
      default -> send(ex, 405, null, "{\"code\":\"method\"}");
    }
  }

  private void create(Req r, HttpExchange ex) throws IOException {
    JsonNode j = r.json();
    Tx t = new Tx("t" + ids.incrementAndGet(), j);
    for (JsonNode m : j.path("rcpt_to")) {
      t.rcpts.add(m.get("m").asText());
      t.rcptResponses.add(null);
    }
    txs.put(t.id, t);
    send(ex, 201, t, null);
    Response mr = mail.apply(j);
    later(answerDelayMillis, () -> t.change(() -> {
      t.mail = mr;
      for (int i = 0; i < t.rcpts.size(); i++) {
        t.rcptResponses.set(i, rcpt.apply(t.rcpts.get(i)));
      }
    }));
  }

  private void get(Tx t, Req r, HttpExchange ex) throws IOException {
    String inm = r.header("If-None-Match");
    if (inm != null) {
      long wait = r.header("request-timeout") == null ? 30 : Long.parseLong(r.header("request-timeout"));
      t.lock.lock();
      try {
        long left = TimeUnit.SECONDS.toNanos(wait);
        while (Long.toString(t.version).equals(inm) && left > 0) {
          left = t.changed.awaitNanos(left);
        }
        if (Long.toString(t.version).equals(inm)) {
          ex.getResponseHeaders().set("ETag", inm);
          ex.sendResponseHeaders(304, -1);
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        t.lock.unlock();
      }
    }
    send(ex, 200, t, null);
  }

  private void patch(Tx t, Req r, HttpExchange ex) throws IOException {
    String ifMatch = r.header("If-Match");
    if (ifMatch == null) {
      send(ex, 400, null, "{\"code\":\"etag_required\"}");
      return;
    }
    t.lock.lock();
    try {
      if (!Long.toString(t.version).equals(ifMatch)) {
        send(ex, 412, null, "{\"code\":\"update_conflict\"}");
        return;
      }
      if (r.body().length > 0) {
        JsonNode j = r.json();
        if (j.has("rcpt_to")) {
          int offset = j.path("rcpt_to_list_offset").asInt(0);
          if (offset != t.rcpts.size()) {
            send(ex, 400, null, "{\"code\":\"bad_request\",\"message\":\"offset\"}");
            return;
          }
          List<String> added = new ArrayList<>();
          for (JsonNode m : j.get("rcpt_to")) {
            added.add(m.get("m").asText());
          }
          int from = t.rcpts.size();
          t.rcpts.addAll(added);
          added.forEach(a -> t.rcptResponses.add(null));
          later(answerDelayMillis, () -> t.change(() -> {
            for (int i = from; i < t.rcpts.size(); i++) {
              t.rcptResponses.set(i, rcpt.apply(t.rcpts.get(i)));
            }
          }));
        }
      }
      t.version++;
      t.changed.signalAll();
    } finally {
      t.lock.unlock();
    }
    send(ex, 200, t, null);
  }

  private void put(Tx t, Req r, HttpExchange ex) throws IOException {
    Consumer<Tx> hook = beforePut;
    if (hook != null) {
      hook.accept(t);
    }
    String cr = r.header("Content-Range");
    String fin = r.header("x-finalize-blob-length");
    long first = 0;
    Long total = (long) r.body().length;
    if (cr != null) {
      Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)").matcher(cr);
      if (!m.matches()) {
        send(ex, 400, null, "{\"code\":\"bad_request\"}");
        return;
      }
      first = Long.parseLong(m.group(1));
      total = m.group(3).equals("*") ? null : Long.parseLong(m.group(3));
    } else if (fin != null) {
      first = Long.parseLong(fin);
      total = first;
    }
    boolean complete;
    String range;
    t.lock.lock();
    try {
      long stored = t.body.size();
      if (first > stored || (t.total != null && total != null && !total.equals(t.total))) {
        ex.getResponseHeaders().set("Content-Range", range(stored, t.total));
        send(ex, 416, null, "{\"code\":\"invalid_range\"}");
        return;
      }
      int skip = (int) (stored - first);
      if (skip < r.body().length) {
        t.body.write(r.body(), skip, r.body().length - skip);
      }
      if (total != null) {
        t.total = total;
      }
      complete = !t.finalized && t.total != null && t.body.size() == t.total;
      t.finalized |= complete;
      range = range(t.body.size(), t.total);
      t.version++;
      t.changed.signalAll();
    } finally {
      t.lock.unlock();
    }
    ex.getResponseHeaders().set("Content-Range", range);
    send(ex, 200, null, "{}");
    if (complete) {
      Response d = data.get();
      later(dataDelayMillis, () -> t.change(() -> t.data = d));
    }
  }

  private void builder(Tx t, Req r, HttpExchange ex) throws IOException {
    JsonNode spec = r.json();
    ObjectNode statuses = TxJson.MAPPER.createObjectNode();
    for (String list : List.of("text_body", "related_attachments", "file_attachments")) {
      for (JsonNode part : spec.path(list)) {
        String id = part.path("content").path("create_id").asText();
        statuses.putObject(id).put("uri", base + "/transactions/" + t.id + "/blob/" + id);
      }
    }
    t.change(() -> t.builderSpec = spec);
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    o.putObject("body").putObject("message_builder").set("blob_status", statuses);
    ex.getResponseHeaders().set("ETag", Long.toString(t.version));
    send(ex, 200, null, o.toString());
  }

  private void putBlob(Tx t, String blob, Req r, HttpExchange ex) throws IOException {
    boolean done;
    t.lock.lock();
    try {
      t.blobs.put(blob, r.body());
      int expected = t.builderSpec == null ? Integer.MAX_VALUE : t.builderSpec.findValues("create_id").size();
      done = t.blobs.size() == expected;
      t.version++;
      t.changed.signalAll();
    } finally {
      t.lock.unlock();
    }
    ex.getResponseHeaders().set("Content-Range", range(r.body().length, (long) r.body().length));
    send(ex, 200, null, "{}");
    if (done) {
      Response d = data.get();
      later(dataDelayMillis, () -> t.change(() -> t.data = d));
    }
  }

  // ------------------------------------------------------------------ helpers

  static String range(long stored, Long total) {
    String t = total == null ? "*" : Long.toString(total);
    return stored == 0 ? "bytes */" + t : "bytes 0-" + (stored - 1) + "/" + t;
  }

  private ObjectNode view(Tx t) {
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    o.putObject("mail_from");
    if (t.mail != null) {
      o.set("mail_response", TxJson.toJson(t.mail));
    }
    if (!t.rcpts.isEmpty()) {
      ArrayNode to = o.putArray("rcpt_to");
      t.rcpts.forEach(x -> to.addObject());
      ArrayNode rr = TxJson.MAPPER.createArrayNode();
      for (Response r : t.rcptResponses) {
        if (r == null) {
          break;
        }
        rr.add(TxJson.toJson(r));
      }
      if (!rr.isEmpty()) {
        o.set("rcpt_response", rr);
      }
    }
    if (t.data != null) {
      o.set("data_response", TxJson.toJson(t.data));
    }
    ObjectNode body = o.putObject("body");
    ObjectNode bs = body.putObject("blob_status");
    bs.put("uri", base + "/transactions/" + t.id + "/body");
    if (t.finalized) {
      bs.put("finalized", true);
    }
    if (offerBuilder) {
      body.putObject("message_builder").put("uri", base + "/transactions/" + t.id + "/message_builder");
    }
    if (t.cancelled) {
      o.put("cancelled", true);
    }
    o.putObject("sender");
    return o;
  }

  /** Answers with {@code json}, or the view of {@code t} and its ETag when {@code json} is null. */
  private void send(HttpExchange ex, int status, Tx t, String json) throws IOException {
    byte[] b;
    if (t != null) {
      t.lock.lock();
      try {
        b = view(t).toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("ETag", Long.toString(t.version));
      } finally {
        t.lock.unlock();
      }
      if (status == 201) {
        ex.getResponseHeaders().set("Location", base + "/transactions/" + t.id);
      }
    } else {
      b = json.getBytes(StandardCharsets.UTF_8);
    }
    if (b.length > 0) {
      ex.getResponseHeaders().set("Content-Type", "application/json");
    }
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
  }

  /** Runs {@code r} after {@code millis} on a virtual thread, unless the answer is null. */
  private static void later(long millis, Runnable r) {
    Thread.ofVirtual().start(() -> {
      try {
        if (millis > 0) {
          Thread.sleep(millis);
        }
        r.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
