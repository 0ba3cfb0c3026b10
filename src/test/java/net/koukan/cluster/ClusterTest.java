package net.koukan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import net.koukan.storage.StorageException;
import net.koukan.storage.TxRow;
import net.koukan.testing.HttpTestClient;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two routers on one PostgreSQL database (spec §1.7, §4.3): 308 to the lease holder and clients
 * that follow it, finalized blobs reused through any replica, long-polls woken by another
 * replica's writes, takeover of a stalled router's leases after the session TTL, and the fencing
 * that keeps the stalled router from overwriting the new holder's work.
 */
class ClusterTest {
  static final String YAML = """
      rest_listener:
        addr: ["127.0.0.1", %PORT%]
        session_uri: http://127.0.0.1:%PORT%
        service_uri: http://koukan-router.test:8000
      sender:
      - name: submission
        output_chain: out
        retry: output_chain
      endpoint:
      - name: out
        output_handler:
          downstream_timeout: 30
          upstream_refresh: 0.2
          retry_params: {max_attempts: 5, min_attempt_time: 3600, max_attempt_time: 3600,
                         backoff_factor: 1.0, deadline: 86400}
        chain:
        - filter: gate
      storage:
        url: %STORAGE%
        session_refresh_interval: 0.2
      """;
  static final String MSG = "Subject: cluster\\r\\n\\r\\nhello\\r\\n";

  @TempDir Path dir;
  Cluster cluster;
  Gate gateA;
  Gate gateB;

  @AfterEach
  void stop() {
    for (Gate g : new Gate[] {gateA, gateB}) {
      if (g != null) {
        g.open();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  Cluster.Node[] twoRouters(Gate a, Gate b) {
    cluster = new Cluster(dir);
    gateA = a;
    gateB = b;
    return new Cluster.Node[] {cluster.start(YAML, a), cluster.start(YAML, b)};
  }

  static String submit(HttpTestClient http, String body) {
    HttpTestClient.Resp r = http.post("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"bob@example.com\"}]"
            + body + "}");
    assertThat(r.status()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    return r.id();
  }

  @Test
  void aRequestAtTheWrongReplicaGets308ToTheHolderAndClientsFollowIt() throws Exception {
    Cluster.Node[] n = twoRouters(new Gate("a", true, Gate.OK), new Gate("b", false, Gate.OK));
    Cluster.Node a = n[0];
    Cluster.Node b = n[1];
    String id = submit(a.http(), ", \"body\": {\"inline\": \"" + MSG + "\"}");
    await().atMost(Duration.ofSeconds(20)).until(() -> gateA.arrived.contains(id)); // A holds it
    String path = "/transactions/" + id;
    String expected = a.base() + path;

    HttpTestClient.Resp get = b.http().get(path);
    assertThat(get.status()).isEqualTo(308);
    assertThat(get.header("Location")).isEqualTo(expected);
    assertThat(get.json().get("code").asText()).isEqualTo("redirect");
    long etag = a.http().get(path).etag();
    HttpTestClient.Resp poll = b.http().get(path, "If-None-Match", Long.toString(etag), "request-timeout", "5");
    assertThat(poll.status()).isEqualTo(308);
    assertThat(poll.header("Location")).isEqualTo(expected);
    HttpTestClient.Resp patch = b.http().send("PATCH", path, null, "If-Match", Long.toString(etag));
    assertThat(patch.status()).isEqualTo(308);
    assertThat(patch.header("Location")).isEqualTo(expected);
    HttpTestClient.Resp put = b.http().send("PUT", path + "/body", "x".getBytes(StandardCharsets.UTF_8));
    assertThat(put.status()).isEqualTo(308);
    assertThat(put.header("Location")).isEqualTo(expected + "/body");
    HttpTestClient.Resp cancel = b.http().send("POST", path + "/cancel", null);
    assertThat(cancel.status()).isEqualTo(308);
    assertThat(cancel.header("Location")).isEqualTo(expected + "/cancel");

    // the JDK client as `koukan send-rest` configures it (Redirect.NORMAL) follows 308 with the
    // same method, headers and body
    HttpClient follow = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    HttpResponse<String> g = follow.send(HttpRequest.newBuilder(URI.create(b.base() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(g.statusCode()).isEqualTo(200);
    assertThat(g.uri().toString()).isEqualTo(expected);
    HttpResponse<String> beat = follow.send(HttpRequest.newBuilder(URI.create(b.base() + path))
        .method("PATCH", HttpRequest.BodyPublishers.noBody())
        .header("If-Match", g.headers().firstValue("ETag").orElseThrow()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(beat.statusCode()).as(beat.body()).isEqualTo(200);
    assertThat(Long.parseLong(beat.headers().firstValue("ETag").orElseThrow()))
        .isGreaterThan(Long.parseLong(g.headers().firstValue("ETag").orElseThrow()));

    // once A is done with it, any replica answers, and the finalized body is reusable through B
    gateA.open();
    JsonNode fin = a.http().pollFinal(id, Duration.ofSeconds(20));
    assertThat(fin.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(fin.at("/body/blob_status/uri").asText())
        .isEqualTo("http://koukan-router.test:8000" + path + "/body");
    assertThat(b.http().get(path).status()).isEqualTo(200);
    String second = submit(b.http(), ", \"body\": {\"reuse_uri\": \"" + fin.at("/body/blob_status/uri").asText() + "\"}");
    JsonNode fin2 = b.http().pollFinal(second, Duration.ofSeconds(20));
    assertThat(fin2.get("data_response").get("message").asText()).isEqualTo("ok by b");
    assertThat(b.router().storage().readBlob(second, net.koukan.storage.Storage.BODY).orElseThrow())
        .isEqualTo("Subject: cluster\r\n\r\nhello\r\n".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aLongPollIsWokenByAWriteOnAnotherReplica() throws Exception {
    Cluster.Node[] n = twoRouters(new Gate("a", false, new Response(451, "try later")),
        new Gate("b", false, Gate.OK));
    Cluster.Node a = n[0];
    Cluster.Node b = n[1];
    String id = submit(a.http(), ", \"body\": {\"inline\": \"" + MSG + "\"}");
    // the attempt fails temporarily: the transaction waits an hour for its retry, leased by nobody
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      TxRow r = a.router().storage().read(id).orElseThrow();
      return r.nextAttemptTime() != null && r.leaseSessionId() == null;
    });
    HttpTestClient.Resp now = b.http().get("/transactions/" + id);
    assertThat(now.status()).isEqualTo(200);
    long etag = now.etag();
    Thread writer = Thread.ofVirtual().start(() -> {
      await().pollDelay(Duration.ofMillis(300)).until(() -> true);
      a.router().storage().cancel(id); // a write only A's process hears of
    });
    long t0 = System.nanoTime();
    HttpTestClient.Resp woke = b.http().get("/transactions/" + id, "If-None-Match", Long.toString(etag),
        "request-timeout", "20");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    writer.join();
    assertThat(woke.status()).isEqualTo(200);
    assertThat(woke.json().get("cancelled").asBoolean()).isTrue();
    assertThat(woke.etag()).isGreaterThan(etag);
    assertThat(ms).as("woken by polling, not by the 20 s timeout").isLessThan(10_000);
  }

  @Test
  void aStalledRoutersLeasesAreTakenOverAndItsLateWritesAreRefused() throws Exception {
    Cluster.Node[] n = twoRouters(new Gate("a", true, Gate.OK), new Gate("b", false, Gate.OK));
    Cluster.Node a = n[0];
    Cluster.Node b = n[1];
    String id = submit(a.http(), ", \"body\": {\"inline\": \"" + MSG + "\"}");
    await().atMost(Duration.ofSeconds(20)).until(() -> gateA.arrived.contains(id));
    long sessionA = a.router().storage().sessionId();
    // A stalls: no more session refreshes (as if paused or cut off), its attempt still running
    a.router().sessionKeeper().close();
    long t0 = System.nanoTime();
    JsonNode fin = Cluster.pollFinal(b.base(), id, Duration.ofSeconds(30));
    long tookMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(fin.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(fin.get("data_response").get("message").asText()).isEqualTo("ok by b");
    assertThat(fin.get("attempt_count").asInt()).isEqualTo(2);
    // TTL = 10 x 0.2 s; B's dequeuer looks at least every 5 s
    assertThat(tookMs).isLessThan(15_000);
    // A wakes up and tries to finish its attempt: the lease is gone, so nothing is overwritten
    gateA.open();
    await().atMost(Duration.ofSeconds(20)).until(() -> a.router().delivery().running() == 0);
    assertThat(gateA.delivered).contains(id);
    TxRow row = b.router().storage().read(id).orElseThrow();
    assertThat(row.visibleFinalReason()).isEqualTo("upstream response success");
    assertThat(row.responses().get("data_response").get("message").asText()).isEqualTo("ok by b");
    assertThat(row.leaseSessionId()).isNull();
    assertThat(sessionA).isNotEqualTo(b.router().storage().sessionId());
    // and A's storage refuses lease-held writes outright
    try {
      a.router().storage().finishAttempt(id, null, "upstream response success");
      throw new AssertionError("a write without the lease was accepted");
    } catch (StorageException e) {
      assertThat(e.kind()).isEqualTo(StorageException.Kind.LEASE_LOST);
    }
  }

  @Test
  void readyzAndStorageErrorsAreJson() {
    Cluster.Node[] n = twoRouters(new Gate("a", false, Gate.OK), new Gate("b", false, Gate.OK));
    Cluster.Node a = n[0];
    HttpTestClient.Resp ready = a.http().get("/readyz");
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().get("status").asText()).isEqualTo("ready");
    assertThat(a.http().get("/healthz").status()).isEqualTo(200);
    String id = submit(a.http(), ", \"body\": {\"inline\": \"" + MSG + "\"}");
    a.http().pollFinal(id, Duration.ofSeconds(20));
    // the transactions table is away (as good as the database for these requests)
    cluster.sql("ALTER TABLE transactions RENAME TO transactions_away");
    try {
      HttpTestClient.Resp r = a.http().get("/transactions/" + id);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.header("Content-Type")).startsWith("application/json");
      assertThat(r.json().get("code").asText()).isEqualTo("storage_unavailable");
      HttpTestClient.Resp c = a.http().post("/senders/submission/transactions",
          "{\"mail_from\": {\"m\": \"a@example.com\"}, \"rcpt_to\": [{\"m\": \"b@example.com\"}]}");
      assertThat(c.status()).isEqualTo(503);
      assertThat(c.json().get("code").asText()).isEqualTo("storage_unavailable");
    } finally {
      cluster.sql("ALTER TABLE transactions_away RENAME TO transactions");
    }
    assertThat(a.http().get("/transactions/" + id).status()).isEqualTo(200);
    // the sessions table away: refreshes fail, the router fences itself and is not ready
    cluster.sql("ALTER TABLE sessions RENAME TO sessions_away");
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> a.router().sessionKeeper().fenced());
      HttpTestClient.Resp r = a.http().get("/readyz");
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().get("code").asText()).isEqualTo("not_ready");
      assertThat(r.json().get("message").asText()).contains("session");
    } finally {
      cluster.sql("ALTER TABLE sessions_away RENAME TO sessions");
    }
    // back: a new session, ready again, delivering again, no restart
    await().atMost(Duration.ofSeconds(20)).until(() -> a.http().get("/readyz").status() == 200);
    assertThat(a.router().sessionKeeper().fenced()).isFalse();
    String again = submit(a.http(), ", \"body\": {\"inline\": \"" + MSG + "\"}");
    assertThat(a.http().pollFinal(again, Duration.ofSeconds(20)).get("final_attempt_reason").asText())
        .isEqualTo("upstream response success");
  }

  static JsonNode json(String s) throws Exception {
    return TxJson.MAPPER.readTree(s);
  }
}
