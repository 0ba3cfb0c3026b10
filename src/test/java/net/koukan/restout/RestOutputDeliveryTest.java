package net.koukan.restout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import net.koukan.storage.Database;
import net.koukan.storage.TxRow;
import net.koukan.testing.MutableClock;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterHarness;
import net.koukan.tx.Response;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A whole router delivering with {@code rest_output} to a fake upstream HTTP server in the test
 * JVM, one failure mode per test: what the client sees in the LRO, the final reason, the retry
 * schedule under an injected clock, and a bounce exactly when one is due (RFC 3464, delivered to
 * a Maildir through the notification sender).
 */
class RestOutputDeliveryTest {
  static final String YAML = """
      global: {mailer_daemon_mailbox: mailer-daemon@example.com}
      rest_listener:
        addr: ["127.0.0.1", %PORT%]
        session_uri: http://127.0.0.1:%PORT%
      sender:
      - name: submission
        output_chain: out
        retry: output_chain
        notification: output_chain
      - name: dead
        output_chain: dead
        retry: output_chain
        notification: output_chain
      - name: bounces
        output_chain: bounces
      endpoint:
      - name: out
        output_handler:
          retry_params: {max_attempts: 2, min_attempt_time: 60, max_attempt_time: 600,
                         backoff_factor: 1.5, deadline: 3600}
          notification: {sender: bounces}
        chain:
        - filter: rest_output
          static_endpoint: %UPSTREAM%
          rcpt_timeout: 2
          data_timeout: 2
          heartbeat_interval: 0
      - name: dead
        output_handler:
          retry_params: {max_attempts: 2, min_attempt_time: 60}
          notification: {sender: bounces}
        chain:
        - filter: rest_output
          static_endpoint: http://127.0.0.1:%DEADPORT%/senders/router/transactions
      - name: bounces
        chain:
        - filter: maildir
          path: %DIR%/bounces
      storage:
        url: %STORAGE%
      """;

  @TempDir Path dir;
  FakeUpstream up;
  RouterHarness h;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

  @BeforeEach
  void upstream() throws IOException {
    up = new FakeUpstream();
  }

  RouterHarness start(Database.Dialect d) {
    String yaml = YAML.replace("%UPSTREAM%", up.endpoint())
        .replace("%DEADPORT%", Integer.toString(Ports.free()));
    h = new RouterHarness(d, dir, yaml, clock);
    return h;
  }

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
    up.close();
  }

  String submit(String sender) {
    var r = h.http.post("/senders/" + sender + "/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"bob@example.com\"}],"
            + " \"body\": {\"inline\": \"Subject: hi\\r\\nMessage-ID: <x1@example.com>\\r\\n\\r\\nhello\\r\\n\"}}");
    assertThat(r.status()).isEqualTo(201);
    return r.id();
  }

  TxRow row(String id) {
    return h.router.storage().read(id).orElseThrow();
  }

  List<Path> bounces() throws IOException {
    Path d = dir.resolve("bounces/alice/new");
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.toList();
    }
  }

  /** Waits until the attempt ended with a retry scheduled, then moves the clock there. */
  void nextAttempt(String id) {
    Awaitility.await().atMost(Duration.ofSeconds(15))
        .until(() -> row(id).nextAttemptTime() != null && row(id).leaseSessionId() == null);
    long wait = row(id).nextAttemptTime() - clock.millis();
    assertThat(wait).isEqualTo(60_000); // min_attempt_time on the first retry
    clock.advance(Duration.ofMillis(wait));
    h.router.delivery().wake();
  }

  static void assertBounce(Path file, String status) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    String text = new String(bytes, StandardCharsets.UTF_8);
    assertThat(text).startsWith("Return-Path: <>\n");
    Message m = new DefaultMessageBuilder().parseMessage(new ByteArrayInputStream(bytes));
    assertThat(m.getMimeType()).isEqualTo("multipart/report");
    assertThat(((Multipart) m.getBody()).getBodyParts().get(1).getMimeType()).isEqualTo("message/delivery-status");
    assertThat(text).contains("Final-Recipient: rfc822; bob@example.com").contains("Status: " + status)
        .contains("In-Reply-To: <x1@example.com>");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void success(Database.Dialect d) throws IOException {
    start(d);
    JsonNode j = h.http.pollFinal(submit("submission"), Duration.ofSeconds(20));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(j.get("data_response").get("message").asText()).isEqualTo("2.0.0 queued");
    assertThat(new String(up.onlyTx().body(), StandardCharsets.UTF_8)).startsWith("Subject: hi\r\n");
    assertThat(bounces()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void temporaryDataFailureIsRetriedOnScheduleWithoutBounce(Database.Dialect d) throws IOException {
    start(d);
    up.data = () -> new Response(451, "4.3.0 try again");
    String id = submit("submission");
    JsonNode first = h.http.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(20));
    assertThat(first.get("data_response").get("code").asInt()).isEqualTo(451);
    assertThat(first.has("final_attempt_reason")).isFalse();
    up.data = () -> new Response(250, "2.0.0 second time lucky");
    nextAttempt(id);
    JsonNode j = h.http.pollFinal(id, Duration.ofSeconds(20));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(j.get("attempt_count").asInt()).isEqualTo(2);
    assertThat(up.txs).hasSize(2);
    assertThat(bounces()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void permanentRcptFailureIsFinalAndBouncesOnce(Database.Dialect d) throws IOException {
    start(d);
    up.rcpt = a -> new Response(550, "5.1.1 no such user here");
    String id = submit("submission");
    JsonNode j = h.http.pollFinal(id, Duration.ofSeconds(20));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("upstream rcpt_response permfail");
    assertThat(j.get("rcpt_response").get(0).get("message").asText()).isEqualTo("5.1.1 no such user here");
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> bounces().size() == 1);
    assertBounce(bounces().get(0), "5.1.1");
    assertThat(up.requests("PUT", "/body")).isEmpty(); // no body for a refused recipient
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void timeoutIsTemporaryAndTheLastAttemptBounces(Database.Dialect d) throws IOException {
    start(d);
    up.data = () -> null; // never answers DATA
    String id = submit("submission");
    JsonNode first = h.http.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(20));
    assertThat(first.get("data_response").get("message").asText()).contains("upstream timeout");
    assertThat(bounces()).isEmpty();
    nextAttempt(id);
    JsonNode j = h.http.pollFinal(id, Duration.ofSeconds(20));
    assertThat(j.get("final_attempt_reason").asText()).isEqualTo("retry policy max attempts");
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> bounces().size() == 1);
    assertBounce(bounces().get(0), "4.4.7");
    assertThat(up.requests("POST", "/cancel")).isNotEmpty(); // the upstream was told to give up
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void connectionRefusedIsTemporary(Database.Dialect d) {
    start(d);
    String id = submit("dead");
    JsonNode j = h.http.pollUntil(id, x -> x.has("mail_response"), Duration.ofSeconds(20));
    assertThat(j.get("mail_response").get("code").asInt()).isEqualTo(451);
    assertThat(j.get("mail_response").get("message").asText()).contains("connection refused");
    assertThat(j.get("rcpt_response").get(0).get("code").asInt()).isEqualTo(503);
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> row(id).nextAttemptTime() != null);
    assertThat(row(id).visibleFinalReason()).isNull();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void upstreamVanishingMidBodyIsRetried(Database.Dialect d) {
    start(d);
    boolean[] broken = {true};
    up.interceptor = (head, ex) -> {
      if (head.method().equals("PUT") && broken[0]) {
        broken[0] = false;
        ex.getRequestBody().readNBytes(5);
        throw new IOException("upstream vanishes");
      }
      return false;
    };
    String id = submit("submission");
    JsonNode first = h.http.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(20));
    assertThat(first.get("data_response").get("code").asInt()).isEqualTo(451);
    nextAttempt(id);
    assertThat(h.http.pollFinal(id, Duration.ofSeconds(20)).get("final_attempt_reason").asText())
        .isEqualTo("upstream response success");
  }
}
