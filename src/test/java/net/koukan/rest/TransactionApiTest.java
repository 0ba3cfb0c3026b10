package net.koukan.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.storage.VersionWatch;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The REST API over real HTTP and real storage (SQLite and PostgreSQL): spec §2.11 and errors. */
class TransactionApiTest {
  @TempDir Path dir;
  ApiHarness h;

  ApiHarness start(Database.Dialect d) {
    return start(d, null, 1 << 20, 64 * 1024);
  }

  ApiHarness start(Database.Dialect d, Dispatcher dispatcher, long maxBlob, int chunk) {
    h = new ApiHarness(d, dir, dispatcher, maxBlob, chunk);
    return h;
  }

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  static JsonNode json(String s) throws Exception {
    return TxJson.MAPPER.readTree(s);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Answers every transaction once its input is complete, as a cut-through upstream would. */
  static final class FakeUpstream implements Dispatcher {
    Storage storage;

    @Override
    public boolean cutThrough() {
      return true;
    }

    @Override
    public void created(TxRow row) {
      Thread.ofVirtual().start(() -> deliver(row.restId()));
    }

    void deliver(String id) {
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
          try (VersionWatch.Watch w = storage.watch().watch(id)) {
            TxRow row = storage.read(id).orElseThrow();
            if (row.inputDone()) {
              break;
            }
            if (w.awaitNewer(row.version(), deadline) < 0) {
              return;
            }
          }
        }
        int a = storage.startAttempt(id);
        storage.writeResponses(id, a, (ObjectNode) json("{\"mail_response\": {\"code\": 250, \"message\": \"ok\"}}"));
        storage.writeResponses(id, a, (ObjectNode) json("{\"rcpt_response\": [{\"code\": 250, \"message\": \"ok\"}]}"));
        storage.writeResponses(id, a, (ObjectNode) json("{\"data_response\": {\"code\": 250, \"message\": \"2.0.0 queued\"}}"));
        storage.finishAttempt(id, null, "upstream response success");
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }
  }

  /** Long-polls until {@code final_attempt_reason} appears. */
  ApiHarness.Resp pollFinal(String path, long etag) {
    for (int i = 0; i < 20; i++) {
      ApiHarness.Resp r = h.get(path, "If-None-Match", "\"" + etag + "\"", "request-timeout", "5");
      if (r.status() == 200) {
        etag = r.etag();
        if (r.json().has("final_attempt_reason")) {
          return r;
        }
      } else {
        assertThat(r.status()).isEqualTo(304);
      }
    }
    throw new AssertionError("no final_attempt_reason");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void flowA_oneShotJsonSend(Database.Dialect d) throws Exception {
    FakeUpstream up = new FakeUpstream();
    start(d, up, 1 << 20, 65536);
    up.storage = h.storage;
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "alice@example.com"},
         "rcpt_to": [{"m": "bob@example.com"}],
         "body": {"message_builder": {"headers": [["subject", "hi"]],
                  "text_body": [{"content_type": "text/plain",
                                 "content": {"inline": "hello"}}]}}}""");
    assertThat(r.status()).isEqualTo(201);
    String loc = r.header("Location");
    assertThat(loc).matches(h.base + "/transactions/[A-Za-z0-9_-]{6}");
    assertThat(r.etag()).isEqualTo(1);
    assertThat(r.json()).isEqualTo(json("""
        {"sender": {}, "mail_from": {}, "rcpt_to": [{}], "retry": {},
         "body": {"message_builder": {"blob_status": {"inline0": {"finalized": true,
                  "uri": "%s/blob/inline0"}}}}}""".formatted(loc)));
    ApiHarness.Resp fin = pollFinal(ApiHarness.path(loc), 1);
    assertThat(fin.json()).isEqualTo(json("""
        {"sender": {}, "mail_from": {}, "rcpt_to": [{}], "retry": {},
         "body": {"message_builder": {"blob_status": {"inline0": {"finalized": true,
                  "uri": "%s/blob/inline0"}}}},
         "mail_response": {"code": 250, "message": "ok"},
         "rcpt_response": [{"code": 250, "message": "ok"}],
         "data_response": {"code": 250, "message": "2.0.0 queued"},
         "attempt_count": 1, "final_attempt_reason": "upstream response success"}""".formatted(loc)));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void flowB_largeAttachmentViaCreateId(Database.Dialect d) throws Exception {
    start(d);
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "alice@example.com"}, "rcpt_to": [{"m": "bob@example.com"}],
         "body": {"message_builder": {"text_body": [{"content_type": "text/html",
                  "content": {"create_id": "html1"}}]}}}""");
    assertThat(r.status()).isEqualTo(201);
    String loc = r.header("Location");
    assertThat(r.json().get("body")).isEqualTo(json("""
        {"message_builder": {"blob_status": {"html1": {"uri": "%s/blob/html1"}}}}""".formatted(loc)));
    byte[] html = new byte[12345];
    java.util.Arrays.fill(html, (byte) 'x');
    ApiHarness.Resp put = h.put(ApiHarness.path(loc) + "/blob/html1", html);
    assertThat(put.status()).isEqualTo(200);
    assertThat(put.json()).isEqualTo(json("{}"));
    assertThat(put.header("Content-Range")).isEqualTo("bytes 0-12344/12345");
    JsonNode after = h.get(ApiHarness.path(loc)).json();
    assertThat(after.at("/body/message_builder/blob_status/html1/finalized").asBoolean()).isTrue();
    // unknown blob id
    assertThat(h.put(ApiHarness.path(loc) + "/blob/nope", b("x")).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void concurrentUploadsThroughReusedBuffersKeepTheirOwnBytes(Database.Dialect d) throws Exception {
    start(d, null, 1 << 20, 1000); // each PUT is stored in many appends from a pooled buffer
    int uploads = 12;
    List<String> paths = new java.util.ArrayList<>();
    for (int k = 0; k < uploads; k++) {
      String loc = h.postJson("/senders/submission/transactions",
          "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}").header("Location");
      paths.add(ApiHarness.path(loc));
    }
    byte[][] bodies = new byte[uploads][];
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      List<java.util.concurrent.Future<Integer>> puts = new java.util.ArrayList<>();
      for (int k = 0; k < uploads; k++) {
        byte[] body = new byte[7000 + 997 * k];
        java.util.Arrays.fill(body, (byte) ('a' + k));
        bodies[k] = body;
        String p = paths.get(k);
        puts.add(pool.submit(() -> h.put(p + "/body", body).status()));
      }
      for (var f : puts) {
        assertThat(f.get()).isEqualTo(200);
      }
    }
    for (int k = 0; k < uploads; k++) {
      assertThat(h.storage.readBlob(paths.get(k).substring(14), Storage.BODY).orElseThrow())
          .isEqualTo(bodies[k]);
    }
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void flowC_preSerializedBodyWholeAndChunked(Database.Dialect d) throws Exception {
    start(d, null, 1 << 20, 1000); // small chunk size: the whole PUT is stored in several appends
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}");
    String loc = r.header("Location");
    String p = ApiHarness.path(loc);
    assertThat(r.json().get("body")).isEqualTo(json("{\"blob_status\": {\"uri\": \"" + loc + "/body\"}}"));
    byte[] msg = new byte[70001];
    for (int i = 0; i < msg.length; i++) {
      msg[i] = (byte) (i % 251);
    }
    assertThat(h.put(p + "/body", msg).status()).isEqualTo(200);
    assertThat(h.storage.readBlob(ApiHarness.path(loc).substring(14), Storage.BODY).orElseThrow())
        .isEqualTo(msg);
    JsonNode after = h.get(p).json();
    assertThat(after.at("/body/blob_status/finalized").asBoolean()).isTrue();
    // idempotent re-PUT of the whole body
    ApiHarness.Resp again = h.put(p + "/body", msg);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.header("Content-Range")).isEqualTo("bytes 0-70000/70001");

    // chunked alternative, finalized with x-finalize-blob-length
    String loc2 = h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}").header("Location");
    String p2 = ApiHarness.path(loc2);
    byte[] c1 = java.util.Arrays.copyOfRange(msg, 0, 65536);
    byte[] c2 = java.util.Arrays.copyOfRange(msg, 65536, 70001);
    ApiHarness.Resp r1 = h.put(p2 + "/body", c1, "Content-Range", "bytes 0-65535/*");
    assertThat(r1.status()).isEqualTo(200);
    assertThat(r1.header("Content-Range")).isEqualTo("bytes 0-65535/*");
    // a gap: 416 with the stored range for resync
    ApiHarness.Resp gap = h.put(p2 + "/body", c2, "Content-Range", "bytes 65537-70001/*");
    assertThat(gap.status()).isEqualTo(416);
    assertThat(gap.header("Content-Range")).isEqualTo("bytes 0-65535/*");
    assertThat(gap.json().get("code").asText()).isEqualTo("invalid_range");
    // retransmitting the first chunk is harmless
    assertThat(h.put(p2 + "/body", c1, "Content-Range", "bytes 0-65535/*").status()).isEqualTo(200);
    assertThat(h.put(p2 + "/body", c2, "Content-Range", "bytes 65536-70000/*").status()).isEqualTo(200);
    assertThat(h.get(p2).json().at("/body/blob_status/finalized").isMissingNode()).isTrue();
    // wrong finalize length: 416; non-integer: 400; with a body: 400
    assertThat(h.put(p2 + "/body", new byte[0], "x-finalize-blob-length", "70000").status()).isEqualTo(416);
    assertThat(h.put(p2 + "/body", new byte[0], "x-finalize-blob-length", "seven").status()).isEqualTo(400);
    assertThat(h.put(p2 + "/body", b("x"), "x-finalize-blob-length", "70001").status()).isEqualTo(400);
    ApiHarness.Resp fin = h.put(p2 + "/body", new byte[0], "x-finalize-blob-length", "70001");
    assertThat(fin.status()).isEqualTo(200);
    assertThat(fin.header("Content-Range")).isEqualTo("bytes 0-70000/70001");
    assertThat(h.get(p2).json().at("/body/blob_status/finalized").asBoolean()).isTrue();

    // chunked with the total on the last chunk
    String p3 = ApiHarness.path(h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}").header("Location"));
    assertThat(h.put(p3 + "/body", c1, "Content-Range", "bytes 0-65535/*").status()).isEqualTo(200);
    ApiHarness.Resp last = h.put(p3 + "/body", c2, "Content-Range", "bytes 65536-70000/70001");
    assertThat(last.header("Content-Range")).isEqualTo("bytes 0-70000/70001");
    assertThat(h.get(p3).json().at("/body/blob_status/finalized").asBoolean()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void flowD_reuseAcrossRecipients(Database.Dialect d) throws Exception {
    start(d);
    String loc = h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "b@x"}],
         "body": {"inline": "Subject: hi\\r\\n\\r\\nhello\\r\\n"}}""").header("Location");
    String id = ApiHarness.path(loc).substring("/transactions/".length());
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "carol@x"}],
         "body": {"reuse_uri": "/transactions/%s/body"}}""".formatted(id));
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().at("/body/blob_status/finalized").asBoolean()).isTrue();
    String newId = ApiHarness.path(r.header("Location")).substring("/transactions/".length());
    assertThat(new String(h.storage.readBlob(newId, Storage.BODY).orElseThrow(), StandardCharsets.UTF_8))
        .isEqualTo("Subject: hi\r\n\r\nhello\r\n");

    String html = h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "b@x"}],
         "body": {"message_builder": {"text_body": [{"content_type": "text/html",
                  "content": {"create_id": "html1"}}]}}}""").header("Location");
    String htmlId = ApiHarness.path(html).substring("/transactions/".length());
    String reuseJson = """
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "carol@x"}],
         "body": {"message_builder": {"text_body": [{"content_type": "text/html",
                  "content": {"reuse_uri": "/transactions/%s/blob/html1"}}]}}}""".formatted(htmlId);
    // not finalized yet: refused, nothing created
    ApiHarness.Resp early = h.postJson("/senders/submission/transactions", reuseJson);
    assertThat(early.status()).isEqualTo(400);
    assertThat(early.json().get("message").asText()).contains("not finalized");
    h.put(ApiHarness.path(html) + "/blob/html1", b("<p>hi</p>"));
    ApiHarness.Resp reused = h.postJson("/senders/submission/transactions", reuseJson);
    assertThat(reused.status()).isEqualTo(201);
    assertThat(reused.json().at("/body/message_builder/blob_status/html1/finalized").asBoolean()).isTrue();
    // unknown reuse target
    assertThat(h.postJson("/senders/submission/transactions", """
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "b@x"}], "body": {"reuse_uri": "/transactions/nope/body"}}""")
        .status()).isEqualTo(400);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void flowE_gatewayIncrementalDialect(Database.Dialect d) throws Exception {
    start(d);
    ApiHarness.Resp r = h.postJson("/senders/ingress/transactions", """
        {"sender": {"name": "ingress", "tag": "smtp-mx"}, "remote_host": ["203.0.113.5", 41234],
         "local_host": ["192.0.2.1", 25], "smtp_meta": {"ehlo_host": "mx.peer.net", "esmtp": true,
         "tls": true, "auth": false}, "mail_from": {"m": "a@peer.net", "e": [{"k": "SIZE", "p": "900"}]}}""");
    assertThat(r.status()).isEqualTo(201);
    String loc = r.header("Location");
    String p = ApiHarness.path(loc);
    assertThat(r.etag()).isEqualTo(1);
    assertThat(r.json().get("body")).isEqualTo(json("{\"blob_status\": {\"uri\": \"" + loc + "/body\"}}"));
    assertThat(r.json().get("mail_from")).isEqualTo(json("{}"));
    assertThat(r.json().get("remote_host")).isEqualTo(json("[\"203.0.113.5\", 41234]"));
    ApiHarness.Resp p1 = h.patchJson(p, 1, "{\"rcpt_to\": [{\"m\": \"bob@example.com\"}]}");
    assertThat(p1.status()).isEqualTo(200);
    assertThat(p1.json().get("rcpt_to")).isEqualTo(json("[{}]"));
    ApiHarness.Resp p2 = h.patchJson(p, p1.etag(),
        "{\"rcpt_to\": [{\"m\": \"carol@example.com\"}], \"rcpt_to_list_offset\": 1}");
    assertThat(p2.status()).isEqualTo(200);
    assertThat(p2.json().get("rcpt_to")).isEqualTo(json("[{}, {}]"));
    // stale etag: 412, wrong offset: 400, no If-Match: 400
    assertThat(h.patchJson(p, p1.etag(), "{\"rcpt_to\": [{\"m\": \"x@example.com\"}], \"rcpt_to_list_offset\": 2}")
        .status()).isEqualTo(412);
    assertThat(h.patchJson(p, p2.etag(), "{\"rcpt_to\": [{\"m\": \"x@example.com\"}], \"rcpt_to_list_offset\": 1}")
        .status()).isEqualTo(400);
    ApiHarness.Resp noMatch = h.send("PATCH", p, b("{}"), "Content-Type", "application/json");
    assertThat(noMatch.status()).isEqualTo(400);
    assertThat(noMatch.json().get("code").asText()).isEqualTo("etag_required");
    // body in chunks, the last with the total
    assertThat(h.put(p + "/body", b("Subject: x\r\n"), "Content-Range", "bytes 0-11/*").status()).isEqualTo(200);
    ApiHarness.Resp last = h.put(p + "/body", b("\r\nhi\r\n"), "Content-Range", "bytes 12-17/18");
    assertThat(last.status()).isEqualTo(200);
    JsonNode fin = h.get(p).json();
    assertThat(fin.at("/body/blob_status/finalized").asBoolean()).isTrue();
    // heartbeat: empty PATCH without content type
    long v = h.get(p).etag();
    ApiHarness.Resp hb = h.send("PATCH", p, new byte[0], "If-Match", "\"" + v + "\"");
    assertThat(hb.status()).isEqualTo(200);
    assertThat(hb.etag()).isEqualTo(v + 1);
    // cancel
    ApiHarness.Resp c = h.send("POST", p + "/cancel", new byte[0]);
    assertThat(c.status()).isEqualTo(200);
    JsonNode cancelled = h.get(p).json();
    assertThat(cancelled.get("cancelled").asBoolean()).isTrue();
    assertThat(cancelled.get("final_attempt_reason").asText()).isEqualTo("downstream cancelled");
    assertThat(h.send("POST", p + "/cancel", new byte[0]).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void nonIncrementalRejectsDeltasButTakesHeartbeats(Database.Dialect d) {
    start(d);
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}");
    String p = ApiHarness.path(r.header("Location"));
    ApiHarness.Resp bad = h.patchJson(p, 1, "{\"rcpt_to\": [{\"m\": \"c@x\"}], \"rcpt_to_list_offset\": 1}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("message").asText()).contains("incremental");
    assertThat(h.send("PATCH", p, new byte[0], "If-Match", "1").status()).isEqualTo(200);
    assertThat(h.patchJson(p, 2, "{\"filter_output\": {\"x\": 1}}").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void longPollWakesOnWriteAndTimesOut(Database.Dialect d) throws Exception {
    start(d);
    ApiHarness.Resp r = h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}");
    String p = ApiHarness.path(r.header("Location"));
    // 304 after the requested timeout when nothing changes
    long t0 = System.nanoTime();
    ApiHarness.Resp nm = h.get(p, "If-None-Match", "\"1\"", "request-timeout", "1");
    long waitedMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(nm.status()).isEqualTo(304);
    assertThat(nm.etag()).isEqualTo(1);
    assertThat(waitedMs).isBetween(900L, 5000L);
    // point read with a stale etag returns at once
    assertThat(h.get(p, "If-None-Match", "\"0\"").status()).isEqualTo(200);
    // a write wakes a waiting GET promptly
    CompletableFuture<ApiHarness.Resp> waiting = CompletableFuture.supplyAsync(
        () -> h.get(p, "If-None-Match", "1", "request-timeout", "20"));
    Thread.sleep(300);
    long before = System.nanoTime();
    h.put(p + "/body", b("hello"));
    ApiHarness.Resp woke = waiting.get(10, TimeUnit.SECONDS);
    long latencyMs = (System.nanoTime() - before) / 1_000_000;
    assertThat(woke.status()).isEqualTo(200);
    assertThat(woke.etag()).isEqualTo(2);
    // woken by the write, not by its 20 s timeout (how fast is the benchmark's business)
    assertThat(latencyMs).isLessThan(5000);
    // invalid request-timeout
    assertThat(h.get(p, "If-None-Match", "2", "request-timeout", "soon").status()).isEqualTo(400);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void twoHundredConcurrentLongPolls(Database.Dialect d) throws Exception {
    start(d);
    String p = ApiHarness.path(h.postJson("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}").header("Location"));
    List<CompletableFuture<ApiHarness.Resp>> polls = new ArrayList<>();
    java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).executor(ex).build();
    for (int i = 0; i < 200; i++) {
      polls.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(h.base + p))
              .header("If-None-Match", "\"1\"").header("request-timeout", "20").GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofByteArray())
          .thenApply(x -> new ApiHarness.Resp(x.statusCode(), x.headers().map(), x.body())));
    }
    Thread.sleep(1500); // let them all arrive and wait
    h.put(p + "/body", b("hello"));
    for (CompletableFuture<ApiHarness.Resp> f : polls) {
      ApiHarness.Resp r = f.get(20, TimeUnit.SECONDS);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.etag()).isEqualTo(2);
    }
    ex.shutdown();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void badInputGetsJsonErrorsAndChangesNothing(Database.Dialect d) throws Exception {
    start(d, null, 4096, 1024);
    String s = "/senders/submission/transactions";
    record Case(String body, int status, String code) {}
    List<Case> cases = List.of(
        new Case("{\"mail_from\": ", 400, "invalid_json"),
        new Case("[1, 2]", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}], \"bogus\": 1}", 400, "bad_request"),
        new Case("{\"mail_from\": null, \"rcpt_to\": [{\"m\": \"b@x\"}]}", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": []}", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}, {\"m\": \"c@x\"}]}", 400, "bad_request"),
        new Case("{\"rcpt_to\": [{\"m\": \"b@x\"}]}", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}], \"retry\": {}}", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}], \"sender\": {\"name\": \"x\", \"bad\": 1}}", 400, "bad_request"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}], \"body\": {\"inline\": \"" + "x".repeat(5000) + "\"}}", 413, "too_large"),
        new Case("{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}], \"mail_from\": {\"m\": \"c@x\"}}", 400, "invalid_json"));
    for (Case c : cases) {
      ApiHarness.Resp r = h.postJson(s, c.body());
      assertThat(r.status()).as(c.body()).isEqualTo(c.status());
      assertThat(r.json().get("code").asText()).as(c.body()).isEqualTo(c.code());
      assertThat(r.json().get("message").asText()).isNotBlank();
    }
    ApiHarness.Resp unknown = h.postJson("/senders/nobody/transactions",
        "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("code").asText()).isEqualTo("unknown_sender");
    assertThat(h.postJson("/senders/ingress/transactions",
        "{\"sender\": {\"tag\": \"nope\"}, \"mail_from\": {\"m\": \"a@x\"}}").status()).isEqualTo(404);
    ApiHarness.Resp wrongType = h.send("POST", s, b("{}"), "Content-Type", "text/plain");
    assertThat(wrongType.status()).isEqualTo(415);
    // nothing was stored by any of these
    int count = h.tdb.db.read(c -> {
      try (var st = c.createStatement(); var rs = st.executeQuery("SELECT COUNT(*) FROM transactions")) {
        rs.next();
        return rs.getInt(1);
      }
    });
    assertThat(count).isZero();

    // unknown transaction
    ApiHarness.Resp nf = h.get("/transactions/nope");
    assertThat(nf.status()).isEqualTo(404);
    assertThat(nf.json().get("code").asText()).isEqualTo("not_found");
    assertThat(h.send("POST", "/transactions/nope/cancel", new byte[0]).status()).isEqualTo(404);
    assertThat(h.put("/transactions/nope/body", b("x")).status()).isEqualTo(404);
    assertThat(h.get("/no/such/route").status()).isEqualTo(404);

    // body over the limit: 413, nothing stored; misaligned Content-Range: 400
    String p = ApiHarness.path(h.postJson(s, "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b@x\"}]}")
        .header("Location"));
    ApiHarness.Resp big = h.put(p + "/body", new byte[5000]);
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.json().get("code").asText()).isEqualTo("too_large");
    assertThat(h.put(p + "/body", b("abc"), "Content-Range", "bytes 0-9/*").status()).isEqualTo(400);
    assertThat(h.put(p + "/body", b("abc"), "Content-Range", "chars 0-2/*").status()).isEqualTo(400);
    JsonNode after = h.get(p).json();
    assertThat(after.at("/body/blob_status/finalized").isMissingNode()).isTrue();
    assertThat(h.get(p).etag()).isEqualTo(1);
  }
}
