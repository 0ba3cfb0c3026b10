package net.koukan.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import net.koukan.config.ConfigException;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** add_route: the synchronous copy and the store-and-forward copy to a system of record. */
class AddRouteTest {
  static final String YAML = """
      global: {mailer_daemon_mailbox: mailer-daemon@example.com}
      rest_listener:
        addr: ["127.0.0.1", %PORT%]
        session_uri: http://127.0.0.1:%PORT%
      sender:
      - name: sync
        output_chain: main_sync
      - name: sf
        output_chain: main_sf
      - name: sor
        output_chain: sor_chain
        retry: output_chain
      endpoint:
      - name: main_sync
        chain:
        - filter: received_header
          received_hostname: mx.example.com
        - filter: add_route
          sender: sor
          rcpt_timeout: 5
          data_timeout: 5
        - filter: main_out
      - name: main_sf
        chain:
        - filter: add_route
          sender: sor
          store_and_forward: true
        - filter: main_out
      - name: sor_chain
        output_handler:
          retry_params: {max_attempts: 5, min_attempt_time: 60, max_attempt_time: 600,
                         backoff_factor: 1.5, deadline: 3600}
        chain:
        - filter: sor_out
      storage:
        url: %STORAGE%
      """;

  /**
   * An output that records what it gets. By local part: {@code rcptfail*} 550 at RCPT,
   * {@code datafail*} 554 at DATA, {@code later*} 450 at DATA on its first try when flaky, else 250.
   */
  static final class Recorder implements FilterFactory {
    final String name;
    final boolean flaky;
    final List<String> delivered = new CopyOnWriteArrayList<>();
    final List<String> bodies = new CopyOnWriteArrayList<>();
    final Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();

    Recorder(String name, boolean flaky) {
      this.name = name;
      this.flaky = flaky;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      return () -> (FilterTx tx, Delta d, Filter.Next next) -> {
        if (d.mailFrom()) {
          tx.mailResponse(new Response(250, "2.1.0 ok"));
        }
        for (int i : d.rcpts()) {
          boolean fail = tx.rcptTo().get(i).address().startsWith("rcptfail");
          tx.rcptResponse(i, fail ? new Response(550, "5.1.1 " + name + " says no") : new Response(250, "2.1.5 ok"));
        }
        if (d.body()) {
          String rcpt = tx.rcptTo().get(0).address();
          int n = tries.computeIfAbsent(rcpt, k -> new AtomicInteger()).incrementAndGet();
          if (rcpt.startsWith("datafail")) {
            tx.dataResponse(new Response(554, "5.6.0 " + name + " refuses the message"));
          } else if (flaky && rcpt.startsWith("later") && n == 1) {
            tx.dataResponse(new Response(450, "4.3.0 " + name + " busy"));
          } else {
            try {
              bodies.add(new String(((Body.Raw) tx.body()).blob().readAll(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            delivered.add(rcpt);
            tx.dataResponse(new Response(250, "2.0.0 " + name + " stored"));
          }
        }
      };
    }
  }

  @TempDir Path dir;
  RouterHarness h;
  final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  final Recorder main = new Recorder("main_out", false);
  final Recorder sor = new Recorder("sor_out", true);

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  JsonNode send(String sender, String rcpt) {
    HttpTestClient.Resp r = h.http.post("/senders/" + sender + "/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"" + rcpt + "\"}],"
            + " \"body\": {\"inline\": \"Subject: copy me\\r\\n\\r\\nhello\\r\\n\"}}");
    assertThat(r.status()).isEqualTo(201);
    return h.http.pollFinal(r.id(), Duration.ofSeconds(30));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void synchronousCopyGetsTheMessageAsTheChainSeesIt(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, main, sor);
    JsonNode j = send("sync", "bob@example.com");
    assertThat(j.get("data_response").get("message").asText()).isEqualTo("2.0.0 main_out stored");
    assertThat(main.delivered).containsExactly("bob@example.com");
    assertThat(sor.delivered).containsExactly("bob@example.com");
    // the copy is taken after received_header: it has the header, like the main route
    assertThat(sor.bodies.get(0)).startsWith("Received: ").endsWith("Subject: copy me\r\n\r\nhello\r\n");
    assertThat(main.bodies.get(0)).isEqualTo(sor.bodies.get(0));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void synchronousCopyErrorsAreTheAnswerAndStopTheMainRoute(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, main, sor);
    JsonNode rcpt = send("sync", "rcptfail@example.com");
    assertThat(rcpt.get("rcpt_response").get(0).get("code").asInt()).isEqualTo(550);
    assertThat(rcpt.get("rcpt_response").get(0).get("message").asText())
        .isEqualTo("5.1.1 sor_out says no (AddRouteFilter upstream)");
    JsonNode data = send("sync", "datafail@example.com");
    assertThat(data.get("data_response").get("code").asInt()).isEqualTo(554);
    assertThat(data.get("data_response").get("message").asText())
        .isEqualTo("5.6.0 sor_out refuses the message (AddRouteFilter upstream)");
    assertThat(main.tries).isEmpty(); // neither message reached the main route's DATA
    assertThat(main.delivered).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void storeAndForwardCopyIsRetriedAndNeverBlocksTheClient(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, main, sor);
    JsonNode j = send("sf", "later@example.com");
    assertThat(j.get("data_response").get("message").asText()).isEqualTo("2.0.0 main_out stored");
    assertThat(main.delivered).containsExactly("later@example.com");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sor.tries.containsKey("later@example.com"));
    assertThat(sor.delivered).isEmpty(); // 450 on its first try: the client never saw it
    Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (sor.delivered.isEmpty()) {
        clock.advance(Duration.ofMinutes(2));
        h.router.delivery().wake();
      }
      return !sor.delivered.isEmpty();
    });
    assertThat(sor.delivered).containsExactly("later@example.com");
    assertThat(sor.tries.get("later@example.com").get()).isEqualTo(2);
    assertThat(sor.bodies.get(0)).isEqualTo("Subject: copy me\r\n\r\nhello\r\n");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void storeAndForwardMakesNoCopyOfWhatTheMainRouteRefused(Database.Dialect d) {
    h = new RouterHarness(d, dir, YAML, clock, main, sor);
    JsonNode j = send("sf", "datafail@example.com");
    assertThat(j.get("data_response").get("code").asInt()).isEqualTo(554);
    assertThat(j.get("data_response").get("message").asText()).doesNotContain("AddRouteFilter");
    JsonNode ok = send("sf", "bob@example.com"); // a later message is copied: the first was not
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> sor.delivered.contains("bob@example.com"));
    assertThat(sor.tries).containsOnlyKeys("bob@example.com");
  }

  @Test
  void senderIsRequiredAndMustExist() {
    String noSender = YAML.replace("    sender: sor\n    rcpt_timeout: 5", "    rcpt_timeout: 5");
    assertThatThrownBy(() -> new RouterHarness(Database.Dialect.SQLITE, dir, noSender, clock, main, sor))
        .isInstanceOf(ConfigException.class).hasMessageContaining("sender");
    String unknown = YAML.replace("    sender: sor\n    store_and_forward", "    sender: nobody\n    store_and_forward");
    assertThatThrownBy(() -> new RouterHarness(Database.Dialect.SQLITE, dir, unknown, clock, main, sor))
        .isInstanceOf(ConfigException.class).hasMessageContaining("no sender nobody");
  }
}
