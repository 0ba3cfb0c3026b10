package net.koukan.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 1,000 REST submissions to a router process that delivers over REST to a receiver process; the
 * router is SIGKILLed halfway and restarted. Every transaction that got a 201 must reach a final
 * state and be delivered; duplicates are counted and reported (at-least-once is fine).
 */
class DeliveryCrashIT {
  static final int TOTAL = 1000;
  @TempDir Path dir;

  Path config(int port, int receiverPort) throws IOException {
    Path cfg = dir.resolve("router.yaml");
    Files.writeString(cfg, """
        global:
          executor:
            output: {max_inflight: 4, watchdog_timeout: 60}
        rest_listener:
          addr: ["127.0.0.1", %d]
          session_uri: http://127.0.0.1:%d
        sender:
        - name: submission
          output_chain: out
          retry: output_chain
        endpoint:
        - name: out
          output_handler:
            downstream_timeout: 30
            retry_params: {max_attempts: 50, min_attempt_time: 1, max_attempt_time: 2,
                           backoff_factor: 1.0, deadline: 600}
          chain:
          - filter: rest_output
            static_endpoint: http://127.0.0.1:%d/senders/router/transactions
            rcpt_timeout: 10
            data_timeout: 20
        storage:
          url: jdbc:sqlite:%s
          session_refresh_interval: 1
        """.formatted(port, port, receiverPort, dir.resolve("var/router.db")));
    return cfg;
  }

  @Test
  void everyAcknowledgedMessageIsDeliveredAfterSigkill() throws Exception {
    int port = Ports.free();
    int receiverPort = Ports.free();
    Path inbox = dir.resolve("inbox");
    Files.createDirectories(inbox);
    String base = "http://127.0.0.1:" + port;
    Path cfg = config(port, receiverPort);
    Map<Integer, String> acked = new ConcurrentHashMap<>();
    HttpTestClient http = new HttpTestClient(base);
    try (RouterProcess receiver = RouterProcess.jar(dir, "receiver", "--listen",
        "127.0.0.1:" + receiverPort, "--dir", inbox.toString())) {
      receiver.awaitHealthy("http://127.0.0.1:" + receiverPort, Duration.ofSeconds(60));
      RouterProcess router = RouterProcess.jar(dir, "router", cfg.toString());
      router.awaitHealthy(base, Duration.ofSeconds(60));
      submit(http, 0, TOTAL / 2, acked);
      router.kill(); // SIGKILL with deliveries in flight and a backlog queued
      int deliveredBeforeRestart = subjects(inbox).size();
      router.close();
      try (RouterProcess again = RouterProcess.jar(dir, "router", cfg.toString())) {
        again.awaitHealthy(base, Duration.ofSeconds(60));
        submit(http, TOTAL / 2, TOTAL, acked);
        // every acknowledged transaction reaches a final state, and it is success
        for (Map.Entry<Integer, String> e : acked.entrySet()) {
          JsonNode j = http.pollFinal(e.getValue(), Duration.ofSeconds(120));
          assertThat(j.get("final_attempt_reason").asText()).as("message %d", e.getKey())
              .isEqualTo("upstream response success");
        }
        Map<Integer, Integer> delivered = subjects(inbox);
        List<Integer> lost = new ArrayList<>();
        int duplicates = 0;
        for (int n : acked.keySet()) {
          int copies = delivered.getOrDefault(n, 0);
          if (copies == 0) {
            lost.add(n);
          }
          duplicates += Math.max(0, copies - 1);
        }
        System.out.printf("crash test: %d acknowledged, %d delivered before the kill, %d delivered"
            + " in all, %d lost, %d delivered twice or more%n", acked.size(), deliveredBeforeRestart,
            delivered.size(), lost.size(), duplicates);
        assertThat(acked).hasSize(TOTAL);
        assertThat(lost).as("acknowledged but never delivered").isEmpty();
      }
    }
  }

  /** Submits messages [from, to) with 8 concurrent clients; records the 201s. */
  static void submit(HttpTestClient http, int from, int to, Map<Integer, String> acked) throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(8);
    AtomicInteger next = new AtomicInteger(from);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      fs.add(ex.submit(() -> {
        int n;
        while ((n = next.getAndIncrement()) < to) {
          String msg = "Subject: crash " + n + "\\r\\nMessage-ID: <crash" + n + "@example.com>\\r\\n\\r\\n"
              + "body of message " + n + "\\r\\n";
          HttpTestClient.Resp r = http.post("/senders/submission/transactions",
              "{\"mail_from\": {\"m\": \"a@example.com\"}, \"rcpt_to\": [{\"m\": \"b@example.com\"}],"
                  + " \"body\": {\"inline\": \"" + msg + "\"}}");
          if (r.status() == 201) {
            acked.put(n, r.id());
          }
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    ex.shutdown();
  }

  static final Pattern SUBJECT = Pattern.compile("Subject: crash (\\d+)");

  /** Message number → copies in the receiver's folder. */
  static Map<Integer, Integer> subjects(Path inbox) throws IOException {
    Map<Integer, Integer> out = new ConcurrentHashMap<>();
    try (Stream<Path> files = Files.list(inbox)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".msg")).toList()) {
        Matcher m = SUBJECT.matcher(Files.readString(f, StandardCharsets.ISO_8859_1));
        if (m.find()) {
          out.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
        }
      }
    }
    return out;
  }
}
