package net.koukan.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.koukan.storage.Database;
import net.koukan.storage.TxRow;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.MutableClock;
import net.koukan.testing.RouterHarness;
import net.koukan.tx.Response;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The delivery pipeline in a whole router: attempts, responses in the LRO, final reasons, the
 * retry schedule under an injected clock, cancel and downstream timeouts (SQLite and PostgreSQL).
 */
class DeliveryTest {
  static final String YAML = """
      rest_listener:
        addr: ["127.0.0.1", %PORT%]
        session_uri: http://127.0.0.1:%PORT%
      sender:
      - name: submission
        output_chain: out
        retry: output_chain
      - name: oneshot
        output_chain: out
      - name: guarded
        output_chain: guarded
        retry: output_chain
      - name: notify
        output_chain: notify
        retry: output_chain
        notification: output_chain
      - name: mdir
        output_chain: mdir
        retry: output_chain
      endpoint:
      - name: out
        output_handler:
          downstream_timeout: 2
          upstream_refresh: 0.2
          retry_params: {max_attempts: 3, min_attempt_time: 60, max_attempt_time: 600,
                         backoff_factor: 1.5, deadline: 3600, bug_retry: 300}
        chain:
        - filter: script
      - name: guarded
        output_handler:
          retry_params: {max_attempts: 3, min_attempt_time: 60}
        chain:
        - filter: router
        - filter: script
      - name: notify
        output_handler:
          retry_params: {max_attempts: 3, min_attempt_time: 60}
          notification: {sender: notify, delay_after: 30}
        chain:
        - filter: script
      - name: mdir
        output_handler:
          retry_params: {max_attempts: 3, min_attempt_time: 60}
        chain:
        - filter: maildir
          path: %DIR%/mail
          domains: [example.com]
          delimiter: "+"
      storage:
        url: %STORAGE%
      """;

  static final String MSG = "Subject: test\\r\\nFrom: a@example.com\\r\\n\\r\\nhello\\r\\n";

  @TempDir Path dir;
  RouterHarness h;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  ScriptOutput start(Database.Dialect d, ScriptOutput script) {
    h = new RouterHarness(d, dir, YAML, clock, script);
    return script;
  }

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  String submit(String sender, String rcpt, boolean withBody) {
    String body = withBody ? ", \"body\": {\"inline\": \"" + MSG + "\"}" : "";
    HttpTestClient.Resp r = h.http.post("/senders/" + sender + "/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"" + rcpt + "\"}]" + body + "}");
    assertThat(r.status()).isEqualTo(201);
    return r.id();
  }

  JsonNode fin(String id) {
    return h.http.pollFinal(id, Duration.ofSeconds(20));
  }

  TxRow row(String id) {
    return h.router.storage().read(id).orElseThrow();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void successShowsEveryResponse(Database.Dialect d) throws Exception {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, new Response(250, "2.0.0 queued")));
    String id = submit("submission", "bob@example.com", true);
    JsonNode j = fin(id);
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(j.get("mail_response")).isEqualTo(om("{\"code\": 250, \"message\": \"ok\"}"));
    assertThat(j.get("rcpt_response")).isEqualTo(om("[{\"code\": 250, \"message\": \"ok\"}]"));
    assertThat(j.get("data_response")).isEqualTo(om("{\"code\": 250, \"message\": \"2.0.0 queued\"}"));
    assertThat(j.get("attempt_count").asInt()).isEqualTo(1);
    assertThat(new String(s.seen.get(0).body(), StandardCharsets.UTF_8)).isEqualTo("Subject: test\r\nFrom: a@example.com\r\n\r\nhello\r\n");
    assertThat(row(id).leaseSessionId()).isNull();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void temporaryFailureIsRetriedOnSchedule(Database.Dialect d) {
    ScriptOutput s = start(d, new ScriptOutput(n -> new ScriptOutput.Answers(ScriptOutput.OK, ScriptOutput.OK,
        n == 1 ? new Response(451, "4.3.0 try later") : new Response(250, "ok"))));
    long t0 = clock.millis();
    String id = submit("submission", "bob@example.com", true);
    // attempt 1 fails temporarily: not final, next attempt at creation + min_attempt_time (60 s)
    JsonNode j = h.http.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(20));
    assertThat(j.has("final_attempt_reason")).isFalse();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> row(id).nextAttemptTime() != null);
    assertThat(row(id).nextAttemptTime()).isEqualTo(t0 + 60_000);
    // not due yet: nothing happens
    h.router.delivery().wake();
    clock.advance(Duration.ofSeconds(59));
    h.router.delivery().wake();
    Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .until(() -> s.attempts.get() == 1);
    clock.advance(Duration.ofSeconds(2));
    h.router.delivery().wake();
    JsonNode done = fin(id);
    assertThat(done.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(done.get("attempt_count").asInt()).isEqualTo(2);
    assertThat(s.attempts.get()).isEqualTo(2);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void maxAttemptsThenFinal(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, new Response(451, "4.3.0 busy")));
    String id = submit("submission", "bob@example.com", true);
    for (int attempt = 1; attempt < 3; attempt++) {
      int a = attempt;
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> s.attempts.get() == a && row(id).nextAttemptTime() != null && row(id).leaseSessionId() == null);
      clock.advance(Duration.ofMinutes(10));
      h.router.delivery().wake();
    }
    JsonNode j = fin(id);
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    assertThat(j.get("attempt_count").asInt()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void permanentFailuresAreFinalAtOnce(Database.Dialect d) {
    start(d, new ScriptOutput(n -> switch (n) {
      case 1 -> new ScriptOutput.Answers(new Response(550, "5.7.1 no"), null, null);
      case 2 -> new ScriptOutput.Answers(ScriptOutput.OK, new Response(550, "5.1.1 unknown"), null);
      default -> new ScriptOutput.Answers(ScriptOutput.OK, ScriptOutput.OK, new Response(554, "5.6.0 bad"));
    }));
    JsonNode mail = fin(submit("submission", "bob@example.com", true));
    assertThat(mail.get("final_attempt_reason").asText()).isEqualTo("upstream mail_response permfail");
    assertThat(mail.get("rcpt_response").get(0).get("code").asInt()).isEqualTo(503);
    JsonNode rcpt = fin(submit("submission", "bob@example.com", true));
    assertThat(rcpt.get("final_attempt_reason").asText()).isEqualTo("upstream rcpt_response permfail");
    assertThat(rcpt.get("data_response").get("code").asInt()).isEqualTo(503);
    JsonNode data = fin(submit("submission", "bob@example.com", true));
    assertThat(data.get("final_attempt_reason").asText()).isEqualTo("upstream response permfail");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void anAttemptThatThrowsCountsAgainstTheRetryLimits(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    s.throwsOn = n -> true;
    // a single-attempt transaction ends at once instead of being retried after bug_retry forever
    JsonNode once = fin(submit("oneshot", "bob@example.com", true));
    assertThat(once.get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    assertThat(s.attempts.get()).isEqualTo(1);
    // with retries: again after bug_retry, until max_attempts (3)
    String id = submit("submission", "bob@example.com", true);
    for (int attempt = 2; attempt < 4; attempt++) {
      int a = attempt;
      Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> s.attempts.get() == a && row(id).nextAttemptTime() != null && row(id).leaseSessionId() == null);
      assertThat(row(id).nextAttemptTime() - clock.millis()).isEqualTo(300_000); // bug_retry
      clock.advance(Duration.ofMinutes(10));
      h.router.delivery().wake();
    }
    JsonNode j = fin(id);
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    assertThat(j.get("attempt_count").asInt()).isEqualTo(3);
    assertThat(s.attempts.get()).isEqualTo(4);
    // past the deadline, the next attempt would come too late: it ends now
    String late = submit("submission", "bob@example.com", true);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.attempts.get() == 5
        && row(late).nextAttemptTime() != null);
    clock.advance(Duration.ofMinutes(56)); // 61 min after creation: 5 more would pass 3600 s
    h.router.delivery().wake();
    assertThat(fin(late).get("final_attempt_reason").asText()).isEqualTo("retry policy deadline");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void singleAttemptSenderEndsAfterATemporaryFailure(Database.Dialect d) {
    start(d, ScriptOutput.always(ScriptOutput.OK, new Response(450, "4.2.1 later"), null));
    JsonNode j = fin(submit("oneshot", "bob@example.com", true));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    assertThat(j.has("retry")).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void unansweredRequestsAreFilledAndRetried(Database.Dialect d) {
    start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, null)); // never answers DATA
    String id = submit("submission", "bob@example.com", true);
    JsonNode j = h.http.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(20));
    assertThat(j.get("data_response").get("code").asInt()).isEqualTo(450);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> row(id).nextAttemptTime() != null);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void cancelWhileWaitingForTheBody(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    String id = submit("submission", "bob@example.com", false);
    h.http.pollUntil(id, x -> x.has("rcpt_response"), Duration.ofSeconds(20));
    assertThat(h.http.send("POST", "/transactions/" + id + "/cancel", new byte[0]).status()).isEqualTo(200);
    JsonNode j = fin(id);
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("downstream cancelled");
    assertThat(j.get("cancelled").asBoolean()).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> row(id).leaseSessionId() == null);
    assertThat(s.seen).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void downstreamTimeoutWhenTheBodyNeverComes(Database.Dialect d) {
    start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    String id = submit("submission", "bob@example.com", false);
    h.http.pollUntil(id, x -> x.has("rcpt_response"), Duration.ofSeconds(20));
    clock.advance(Duration.ofSeconds(3)); // past downstream_timeout (2 s) without progress
    JsonNode j = fin(id);
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("downstream timeout");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void bodyUploadedLaterIsDeliveredByTheSameAttempt(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    String id = submit("submission", "bob@example.com", false);
    h.http.pollUntil(id, x -> x.has("rcpt_response"), Duration.ofSeconds(20));
    assertThat(h.http.send("PUT", "/transactions/" + id + "/body", "Subject: late\r\n\r\nx\r\n".getBytes(StandardCharsets.UTF_8)).status())
        .isEqualTo(200);
    assertThat(fin(id).get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(s.attempts.get()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void maildirDeliveryAndQueuedOtherDomains(Database.Dialect d) throws Exception {
    start(d, ScriptOutput.always(null, null, null));
    JsonNode j = fin(submit("mdir", "Bob+news@example.com", true));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    List<Path> files;
    try (var l = Files.list(dir.resolve("mail/bob/new"))) {
      files = l.toList();
    }
    assertThat(files).hasSize(1);
    assertThat(Files.readString(files.get(0))).isEqualTo(
        "Return-Path: <alice@example.com>\nDelivered-To: Bob+news@example.com\nSubject: test\nFrom: a@example.com\n\nhello\n");
    assertThat(Files.list(dir.resolve("mail/bob/tmp")).count()).isZero();
    String other = submit("mdir", "carol@elsewhere.test", true);
    JsonNode q = h.http.pollUntil(other, x -> x.has("rcpt_response"), Duration.ofSeconds(20));
    assertThat(q.get("rcpt_response").get(0).get("code").asInt()).isEqualTo(451);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> row(other).nextAttemptTime() != null);
    assertThat(row(other).visibleFinalReason()).isNull();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void permanentFailureBouncesOnceAndNeverBouncesABounce(Database.Dialect d) {
    // every message fails permanently, the bounce included
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, new Response(550, "5.1.1 no such user")));
    String id = submit("notify", "bob@example.com", true);
    assertThat(fin(id).get("final_attempt_reason").asText()).isEqualTo("upstream response permfail");
    // the bounce: from <> to alice, an RFC 3464 report; it fails too, and nothing bounces that
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.seen.size() == 2);
    ScriptOutput.Seen bounce = s.seen.get(1);
    assertThat(bounce.mailFrom()).isEmpty();
    assertThat(bounce.rcpts()).containsExactly("alice@example.com");
    DsnCheck.assertFailureReport(bounce.body(), "bob@example.com", "5.1.1");
    assertThat(new String(bounce.body(), StandardCharsets.UTF_8)).contains("Subject: test");
    Awaitility.await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3)).until(() -> s.seen.size() == 2);
    // a message from the null sender never bounces
    HttpTestClient.Resp r = h.http.post("/senders/notify/transactions",
        "{\"mail_from\": {\"m\": \"\"}, \"rcpt_to\": [{\"m\": \"x@example.com\"}], \"body\": {\"inline\": \"" + MSG + "\"}}");
    assertThat(fin(r.id()).get("final_attempt_reason").asText()).isEqualTo("upstream response permfail");
    Awaitility.await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3)).until(() -> s.seen.size() == 3);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void oneDelayNoticeAfterDelayAfterThenTheFailureReport(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, new Response(451, "4.4.1 busy")));
    s.acceptBounces = true;
    String id = submit("notify", "bob@example.com", true);
    // attempt 1 at age 0: younger than delay_after (30 s), no notice
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> row(id).nextAttemptTime() != null);
    Awaitility.await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> s.seen.size() == 1);
    for (int attempt = 2; attempt <= 3; attempt++) {
      int before = s.attempts.get();
      clock.advance(Duration.ofHours(1)); // past the backoff (age x 1.5)
      h.router.delivery().wake();
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> s.attempts.get() == before + 1
          && row(id).leaseSessionId() == null);
    }
    assertThat(fin(id).get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> bounces(s).size() == 2);
    List<String> subjects = bounces(s).stream().map(b -> new String(b.body(), StandardCharsets.UTF_8))
        .map(t -> t.lines().filter(l -> l.startsWith("Subject:")).findFirst().orElse("")).toList();
    assertThat(subjects).containsExactly("Subject: Delivery Status Notification (Delay)",
        "Subject: Delivery Status Notification (Failure)");
    String delay = new String(bounces(s).get(0).body(), StandardCharsets.UTF_8);
    assertThat(delay).contains("Action: delayed").contains("Status: 4.4.1").contains("Will-Retry-Until:");
  }

  static List<ScriptOutput.Seen> bounces(ScriptOutput s) {
    return s.seen.stream().filter(x -> x.mailFrom().isEmpty()).toList();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void aRecipientRefusedByAFilterIsAPermanentRcptFailure(Database.Dialect d) {
    ScriptOutput s = start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    JsonNode j = fin(submit("guarded", "bob@example.com", true));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream rcpt_response permfail");
    assertThat(j.get("mail_response").get("code").asInt()).isEqualTo(250);
    assertThat(j.get("rcpt_response").get(0).get("code").asInt()).isEqualTo(550);
    assertThat(s.attempts.get()).isZero(); // nothing reached the output
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void heartbeatsKeepAWaitingAttemptAlive(Database.Dialect d) {
    start(d, ScriptOutput.always(ScriptOutput.OK, ScriptOutput.OK, ScriptOutput.OK));
    String id = submit("submission", "bob@example.com", false);
    h.http.pollUntil(id, x -> x.has("rcpt_response"), Duration.ofSeconds(20));
    for (int i = 0; i < 3; i++) { // 4.5 s in all, more than downstream_timeout (2 s), with heartbeats
      clock.advance(Duration.ofMillis(1500));
      long etag = h.http.get("/transactions/" + id).etag();
      assertThat(h.http.send("PATCH", "/transactions/" + id, new byte[0], "If-Match", Long.toString(etag)).status())
          .isEqualTo(200);
      Awaitility.await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> true);
    }
    assertThat(row(id).visibleFinalReason()).isNull();
    assertThat(h.http.send("PUT", "/transactions/" + id + "/body", "Subject: x\r\n\r\ny\r\n".getBytes(StandardCharsets.UTF_8)).status())
        .isEqualTo(200);
    assertThat(fin(id).get("final_attempt_reason").asText()).isEqualTo("upstream response success");
  }

  static JsonNode om(String s) throws Exception {
    return net.koukan.tx.TxJson.MAPPER.readTree(s);
  }
}
