package net.koukan.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.storage.Database;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.MutableClock;
import net.koukan.testing.RouterHarness;
import net.koukan.tx.Response;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The Exploder through the REST incremental dialect, with upstream answers per recipient. */
class ExploderTest {
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
        tag:
        - name: msa
          output_chain: fanout_msa
          upstream_tag: upstream
          retry: null
          notification: null
        - name: mx
          output_chain: fanout_mx
          upstream_tag: upstream
          retry: null
          notification: null
        - name: upstream
          retry: null
          notification: null
        - name: dsn
      endpoint:
      - name: fanout_msa
        chain:
        - filter: exploder
          msa: true
          rcpt_timeout: 5
          data_timeout: 5
      - name: fanout_mx
        chain:
        - filter: exploder
          rcpt_timeout: 5
          data_timeout: 5
      - name: out
        output_handler:
          retry_params: {max_attempts: 5, min_attempt_time: 60, max_attempt_time: 600,
                         backoff_factor: 1.5, deadline: 3600}
          notification: {sender: submission, tag: dsn}
        chain:
        - filter: by_rcpt
      storage:
        url: %STORAGE%
      """;

  /** Upstream that answers DATA by recipient local part: ok* 250, temp* 450 once, perm* 550. */
  static final class ByRcpt implements FilterFactory {
    final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    final List<String> delivered = new CopyOnWriteArrayList<>();
    final List<byte[]> bounces = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "by_rcpt";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      return () -> (FilterTx tx, Delta d, Filter.Next next) -> {
        if (d.mailFrom()) {
          tx.mailResponse(new Response(250, "ok"));
        }
        for (int i : d.rcpts()) {
          tx.rcptResponse(i, new Response(250, "ok"));
        }
        if (d.body()) {
          String rcpt = tx.rcptTo().get(0).address();
          int n = attempts.computeIfAbsent(rcpt, k -> new AtomicInteger()).incrementAndGet();
          if (tx.mailFrom().address().isEmpty()) {
            try {
              bounces.add(((Body.Raw) tx.body()).blob().readAll());
            } catch (java.io.IOException e) {
              throw new RuntimeException(e);
            }
            tx.dataResponse(new Response(250, "bounce stored"));
          } else if (rcpt.startsWith("ok")) {
            delivered.add(rcpt);
            tx.dataResponse(new Response(250, "2.0.0 ok"));
          } else if (rcpt.startsWith("temp") && n == 1) {
            tx.dataResponse(new Response(450, "4.2.0 busy"));
          } else if (rcpt.startsWith("temp")) {
            delivered.add(rcpt);
            tx.dataResponse(new Response(250, "2.0.0 ok later"));
          } else {
            tx.dataResponse(new Response(550, "5.1.1 no such user"));
          }
        }
      };
    }
  }

  @TempDir Path dir;
  RouterHarness h;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final ByRcpt upstream = new ByRcpt();

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  /** MAIL, RCPT... and DATA over the incremental REST dialect; returns the final read. */
  JsonNode smtpLike(String tag, String... rcpts) {
    HttpTestClient c = h.http;
    HttpTestClient.Resp r = c.post("/senders/submission/transactions",
        "{\"sender\": {\"name\": \"submission\", \"tag\": \"" + tag + "\"}, \"mail_from\": {\"m\": \"alice@example.com\"}}");
    assertThat(r.status()).isEqualTo(201);
    String id = r.id();
    JsonNode j = c.pollUntil(id, x -> x.has("mail_response"), Duration.ofSeconds(20));
    assertThat(j.get("mail_response").get("code").asInt()).isEqualTo(250);
    for (int i = 0; i < rcpts.length; i++) {
      long etag = c.get("/transactions/" + id).etag();
      String body = "{\"rcpt_to\": [{\"m\": \"" + rcpts[i] + "\"}]" + (i > 0 ? ", \"rcpt_to_list_offset\": " + i : "") + "}";
      HttpTestClient.Resp p = c.send("PATCH", "/transactions/" + id, body.getBytes(StandardCharsets.UTF_8),
          "Content-Type", "application/json", "If-Match", Long.toString(etag));
      assertThat(p.status()).isEqualTo(200);
      int n = i + 1;
      c.pollUntil(id, x -> x.has("rcpt_response") && x.get("rcpt_response").size() == n, Duration.ofSeconds(20));
    }
    assertThat(c.send("PUT", "/transactions/" + id + "/body",
        "Subject: fan out\r\nMessage-ID: <m1@example.com>\r\n\r\nhi all\r\n".getBytes(StandardCharsets.UTF_8)).status())
        .isEqualTo(200);
    return c.pollUntil(id, x -> x.has("data_response"), Duration.ofSeconds(30));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void msaMixedAnswersAreStoredAndForwarded(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, upstream);
    JsonNode j = smtpLike("msa", "ok@example.com", "temp@example.com", "perm@example.com");
    assertThat(j.get("rcpt_response")).hasSize(3);
    j.get("rcpt_response").forEach(r -> assertThat(r.get("code").asInt()).isEqualTo(250));
    assertThat(j.get("data_response").get("code").asInt()).isEqualTo(250);
    assertThat(j.get("data_response").get("message").asText()).contains("store&forward");
    assertThat(upstream.delivered).containsExactly("ok@example.com");
    // the 450 is retried once, on schedule
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> upstream.attempts.get("temp@example.com").get() == 1);
    // the upstream transaction's id is the Exploder's, so we cannot wait for its retry to be
    // scheduled; move the clock past min_attempt_time until the retry happens (at most 20 x 2 min,
    // inside the 1 h deadline)
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (!upstream.delivered.contains("temp@example.com")) {
        clock.advance(Duration.ofMinutes(2));
        h.router.delivery().wake();
      }
      return upstream.delivered.contains("temp@example.com");
    });
    assertThat(upstream.attempts.get("temp@example.com").get()).isEqualTo(2);
    assertThat(upstream.attempts.get("perm@example.com").get()).isEqualTo(1);
    // the 550 bounces to the sender, once, as RFC 3464
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> upstream.bounces.size() == 1);
    DsnCheck.assertFailureReport(upstream.bounces.get(0), "perm@example.com", "5.1.1");
    assertThat(upstream.attempts.get("alice@example.com").get()).isEqualTo(1); // the bounce went to alice
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void mxPassesTemporaryAnswersThrough(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, upstream);
    JsonNode one = smtpLike("mx", "temp1@example.com");
    assertThat(one.get("data_response").get("code").asInt()).isEqualTo(450);
    JsonNode same = smtpLike("mx", "ok1@example.com", "ok2@example.com");
    assertThat(same.get("data_response").get("message").asText()).isEqualTo("2.0.0 ok (Exploder same response)");
    JsonNode perm = smtpLike("mx", "perm1@example.com");
    assertThat(perm.get("data_response").get("code").asInt()).isEqualTo(550);
  }
}
