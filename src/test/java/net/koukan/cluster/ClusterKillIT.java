package net.koukan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterProcess;
import net.koukan.testing.TestDb;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7's acceptance test: three router processes and one gateway on loopback share one
 * PostgreSQL schema; messages go in over REST (round-robin over the routers) and SMTP (round-robin
 * over three gateway listeners, one per router); router 0 gets SIGKILL halfway. Every
 * acknowledged message (201 / 250) must reach the receiver; duplicates are counted and printed;
 * the transactions the killed router held are released by the others once its session is
 * {@code ttl} = 10 × {@code session_refresh_interval} silent, and those whose input was complete
 * are then finished at once. (Those whose input was not — an SMTP session cut by the kill, never
 * acknowledged — end with {@code downstream timeout} after the chain's downstream_timeout.)
 *
 * <p>{@code -Dkoukan.cluster.messages=2000} runs the full count (the default, 400, keeps
 * CI on two cores well under two minutes).
 */
class ClusterKillIT {
  static final int TOTAL = Integer.getInteger("koukan.cluster.messages", 400);
  static final double REFRESH = 0.5;
  static final Duration TTL = Duration.ofMillis((long) (REFRESH * 10_000));

  @TempDir Path dir;

  /**
   * @param submissionTarget where {@code submission} delivers: the receiver, or (router 0) a
   *     black hole that accepts and never answers, so that router 0 is sure to hold leases on
   *     in-flight attempts when it is killed (another router's attempt after a timeout succeeds)
   */
  static String routerYaml(int port, int receiverPort, int submissionTarget, String storage) {
    return """
        global:
          executor:
            output: {max_inflight: 32}
        rest_listener:
          addr: ["127.0.0.1", %1$d]
          session_uri: http://127.0.0.1:%1$d
        sender:
        - name: submission
          output_chain: out
          retry: output_chain
        - name: relay
          output_chain: relay
        - name: ingress
          output_chain: explode
          upstream_sender: relay
        endpoint:
        - name: out
          output_handler:
            downstream_timeout: 30
            retry_params: {max_attempts: 50, min_attempt_time: 1, max_attempt_time: 2,
                           backoff_factor: 1.0, deadline: 600}
          chain:
          - filter: rest_output
            static_endpoint: http://127.0.0.1:%5$d/senders/router/transactions
            rcpt_timeout: 8
            data_timeout: 8
        - name: relay
          output_handler:
            downstream_timeout: 30
            retry_params: {max_attempts: 50, min_attempt_time: 1, max_attempt_time: 2,
                           backoff_factor: 1.0, deadline: 600}
          chain:
          - filter: rest_output
            static_endpoint: http://127.0.0.1:%2$d/senders/router/transactions
            rcpt_timeout: 10
            data_timeout: 20
        - name: explode
          chain:
          - {filter: exploder, msa: true}
        storage:
          url: "%3$s"
          session_refresh_interval: %4$s
        """.formatted(port, receiverPort, storage, REFRESH, submissionTarget);
  }

  static String gatewayYaml(int rest, int[] smtp, int[] routers) {
    StringBuilder b = new StringBuilder("""
        rest_listener: {addr: ["127.0.0.1", %d], session_uri: "http://127.0.0.1:%d"}
        smtp_output:
          hosts:
            outbound: {ehlo_host: gw.example.com, tls: none}
        smtp_listener:
          services:
        """.formatted(rest, rest));
    for (int i = 0; i < smtp.length; i++) {
      b.append("    - {addr: [\"127.0.0.1\", ").append(smtp[i]).append("], endpoint: r").append(i)
          .append(", sender: ingress, rcpt_timeout: 20, data_timeout: 30}\n");
    }
    b.append("rest_output:\n");
    for (int i = 0; i < routers.length; i++) {
      b.append("- {name: r").append(i).append(", endpoint: \"http://127.0.0.1:").append(routers[i])
          .append("/senders/ingress/transactions\"}\n");
    }
    return b.toString();
  }

  @Test
  void threeRoutersOneKilledNothingAcknowledgedIsLost() throws Exception {
    TestDb.requirePostgres();
    String schema = TestDb.newSchema();
    String storage = TestDb.postgresUrl() + "&currentSchema=" + schema;
    int receiverPort = Ports.free();
    int[] routerPorts = {Ports.free(), Ports.free(), Ports.free()};
    int[] smtpPorts = {Ports.free(), Ports.free(), Ports.free()};
    int gwRest = Ports.free();
    Path inbox = Files.createDirectories(dir.resolve("inbox"));
    List<RouterProcess> procs = new ArrayList<>();
    ExecutorService load = Executors.newSingleThreadExecutor();
    try (BlackHole hole = new BlackHole()) {
      RouterProcess receiver = RouterProcess.jar(dir, "receiver", "--listen",
          "127.0.0.1:" + receiverPort, "--dir", inbox.toString());
      procs.add(receiver);
      RouterProcess[] routers = new RouterProcess[3];
      for (int i = 0; i < 3; i++) {
        Path cfg = dir.resolve("router" + i + ".yaml");
        Files.writeString(cfg, routerYaml(routerPorts[i], receiverPort,
            i == 0 ? hole.port() : receiverPort, storage));
        routers[i] = RouterProcess.jar(dir, "router", cfg.toString());
        procs.add(routers[i]);
        if (i == 0) {
          routers[0].awaitHealthy(base(routerPorts[0]), Duration.ofSeconds(60)); // migrates the schema first
        }
      }
      Path gwCfg = dir.resolve("gateway.yaml");
      Files.writeString(gwCfg, gatewayYaml(gwRest, smtpPorts, routerPorts));
      RouterProcess gateway = RouterProcess.jar(dir, "gateway", gwCfg.toString());
      procs.add(gateway);
      receiver.awaitHealthy("http://127.0.0.1:" + receiverPort, Duration.ofSeconds(60));
      for (int i = 1; i < 3; i++) {
        routers[i].awaitHealthy(base(routerPorts[i]), Duration.ofSeconds(60));
      }
      gateway.awaitHealthy("http://127.0.0.1:" + gwRest, Duration.ofSeconds(60));
      for (int p : routerPorts) {
        assertThat(new HttpTestClient(base(p)).get("/readyz").status()).isEqualTo(200);
      }
      assertThat(new HttpTestClient("http://127.0.0.1:" + gwRest).get("/readyz").status()).isEqualTo(200);

      Map<Integer, String> acked = new ConcurrentHashMap<>();
      Set<Integer> dead = ConcurrentHashMap.newKeySet();
      AtomicInteger smtpTempFails = new AtomicInteger();
      long t0 = System.nanoTime();
      Future<?> submitting = load.submit(() -> {
        submit(0, TOTAL, routerPorts, smtpPorts, dead, acked, smtpTempFails);
        return null;
      });
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
          .until(() -> acked.size() >= TOTAL / 2 || submitting.isDone());
      long killedAt = System.nanoTime();
      long killedEpochMs = System.currentTimeMillis();
      routers[0].kill(); // SIGKILL mid-load: attempts in flight, session not ended
      dead.add(0);
      List<String> held = leasedBy(storage, "http://127.0.0.1:" + routerPorts[0]);
      int deliveredBeforeKill = Inbox.count(inbox).size();
      long[] releasedMs = {-1};
      long[] finishedMs = {-1};
      Thread takeover = Thread.ofVirtual().start(() -> {
        try {
          await().atMost(TTL.plusSeconds(30)).pollInterval(Duration.ofMillis(100))
              .until(() -> countStill(storage, held, "inflight_session_id IS NOT NULL"
                  + " AND inflight_session_id IN (SELECT id FROM sessions WHERE NOT live OR uri = ?)",
                  "http://127.0.0.1:" + routerPorts[0]) == 0);
          releasedMs[0] = (System.nanoTime() - killedAt) / 1_000_000;
          await().atMost(TTL.plusSeconds(60)).pollInterval(Duration.ofMillis(100))
              .until(() -> countStill(storage, held, "input_done AND (final_attempt_reason IS NULL"
                  + " OR final_attempt_reason = 'oneshot')", null) == 0);
          finishedMs[0] = (System.nanoTime() - killedAt) / 1_000_000;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      submitting.get();
      long submitMs = (System.nanoTime() - t0) / 1_000_000;

      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
          .until(() -> Inbox.count(inbox).keySet().containsAll(acked.keySet()));
      takeover.join(Duration.ofSeconds(120).toMillis());
      Map<Integer, Integer> delivered = Inbox.count(inbox);
      List<Integer> lost = new ArrayList<>();
      int twice = 0;
      for (int n : acked.keySet()) {
        int copies = delivered.getOrDefault(n, 0);
        if (copies == 0) {
          lost.add(n);
        }
        twice += copies > 1 ? 1 : 0;
      }
      long rest = acked.values().stream().filter(v -> v.equals("rest")).count();
      System.out.printf("cluster kill test: %d submitted in %d ms, %d acknowledged (%d REST, %d SMTP),"
          + " %d SMTP 4xx answers, %d delivered before the kill, %d delivered, %d lost,"
          + " %d delivered twice or more; the killed router held %d leases: released after %d ms,"
          + " those with complete input all finished after %d ms (session TTL %d ms)%n",
          TOTAL, submitMs, acked.size(), rest, acked.size() - rest, smtpTempFails.get(),
          deliveredBeforeKill, delivered.size(), lost.size(), twice, held.size(), releasedMs[0],
          finishedMs[0], TTL.toMillis());
      System.out.println("the killed router's transactions (sender, input_done, attempts, final"
          + " reason, last update after the kill):\n" + describe(storage, held, killedEpochMs));
      assertThat(lost).as("acknowledged but never delivered").isEmpty();
      assertThat(acked.size()).as("most submissions acknowledged").isGreaterThan(TOTAL * 3 / 4);
      assertThat(held).as("the killed router was working when it died").isNotEmpty();
      assertThat(releasedMs[0]).as("leases released after the session TTL")
          .isBetween(TTL.toMillis() - 1000, TTL.toMillis() + 5_000);
      assertThat(finishedMs[0]).as("and their transactions finished by the others").isPositive()
          .isLessThan(TTL.toMillis() + 30_000);
    } finally {
      load.shutdownNow();
      for (RouterProcess p : procs) {
        p.close();
      }
      TestDb.dropSchema(schema);
    }
  }

  static String base(int port) {
    return "http://127.0.0.1:" + port;
  }

  /** Submits messages [from, to): even numbers over REST, odd over SMTP, 8 clients at once. */
  static void submit(int from, int to, int[] routers, int[] smtp, Set<Integer> dead,
      Map<Integer, String> acked, AtomicInteger smtpTempFails) throws Exception {
    ExecutorService ex = Executors.newFixedThreadPool(8);
    AtomicInteger next = new AtomicInteger(from);
    List<Future<?>> fs = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      fs.add(ex.submit(() -> {
        int n;
        while ((n = next.getAndIncrement()) < to) {
          String msg = "Subject: cluster " + n + "\r\nMessage-ID: <cluster" + n
              + "@example.com>\r\n\r\nbody of message " + n + "\r\n";
          for (int tries = 0; tries < 3; tries++) {
            int i = (n + tries) % 3;
            if (n % 2 == 0) {
              String json = "{\"mail_from\": {\"m\": \"a@example.com\"}, \"rcpt_to\": [{\"m\": \"b@example.com\"}],"
                  + " \"body\": {\"inline\": \"" + msg.replace("\r\n", "\\r\\n") + "\"}}";
              try {
                HttpTestClient.Resp r = new HttpTestClient(base(routers[i]))
                    .post("/senders/submission/transactions", json);
                if (r.status() == 201) {
                  acked.put(n, "rest");
                  break;
                }
              } catch (AssertionError e) {
                // connection refused: that router is down, try the next
              }
            } else {
              int code = MiniSmtp.send(smtp[i], "a@example.com", "b@example.com", msg);
              if (code == 250) {
                acked.put(n, "smtp");
                break;
              }
              if (code >= 400 && code < 500) {
                smtpTempFails.incrementAndGet();
              }
            }
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

  static String describe(String url, List<String> ids, long sinceEpochMs) throws Exception {
    StringBuilder b = new StringBuilder();
    try (Connection c = DriverManager.getConnection(url);
         PreparedStatement ps = c.prepareStatement("SELECT rest_id, sender, input_done,"
             + " attempt_count, final_attempt_reason, last_update FROM transactions"
             + " WHERE rest_id = ANY (?) ORDER BY last_update")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          b.append("  ").append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ')
              .append(rs.getBoolean(3)).append(' ').append(rs.getInt(4)).append(' ')
              .append(rs.getString(5)).append(' ').append(rs.getLong(6) - sinceEpochMs).append(" ms\n");
        }
      }
    }
    return b.toString();
  }

  /** The transactions leased to the live session with {@code uri} now. */
  static List<String> leasedBy(String url, String uri) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
         PreparedStatement ps = c.prepareStatement("SELECT t.rest_id FROM transactions t"
             + " JOIN sessions s ON s.id = t.inflight_session_id WHERE s.uri = ? AND s.live")) {
      ps.setString(1, uri);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  /** How many of {@code ids} still match {@code condition} (one optional string parameter). */
  static int countStill(String url, List<String> ids, String condition, String param) throws Exception {
    if (ids.isEmpty()) {
      return 0;
    }
    Set<String> still = new HashSet<>();
    try (Connection c = DriverManager.getConnection(url);
         PreparedStatement ps = c.prepareStatement(
             "SELECT rest_id FROM transactions WHERE rest_id = ANY (?) AND (" + condition + ")")) {
      ps.setArray(1, c.createArrayOf("text", ids.toArray()));
      if (param != null) {
        ps.setString(2, param);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          still.add(rs.getString(1));
        }
      }
    }
    return still.size();
  }

  /** Accepts connections and never answers (an upstream that hangs). */
  static final class BlackHole implements AutoCloseable {
    private final java.net.ServerSocket server;
    private final List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();

    BlackHole() throws IOException {
      server = new java.net.ServerSocket(0, 200, java.net.InetAddress.getLoopbackAddress());
      Thread.ofVirtual().start(() -> {
        while (!server.isClosed()) {
          try {
            held.add(server.accept());
          } catch (IOException e) {
            return;
          }
        }
      });
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (java.net.Socket s : held) {
        s.close();
      }
    }
  }

  /** The receiver's folder: message number → copies. */
  static final class Inbox {
    static final java.util.regex.Pattern SUBJECT = java.util.regex.Pattern.compile("Subject: cluster (\\d+)");

    static Map<Integer, Integer> count(Path inbox) throws IOException {
      Map<Integer, Integer> out = new ConcurrentHashMap<>();
      try (var files = Files.list(inbox)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".msg")).toList()) {
          String s;
          try {
            s = Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1);
          } catch (IOException e) {
            continue; // being written
          }
          var m = SUBJECT.matcher(s);
          if (m.find()) {
            out.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
          }
        }
      }
      return out;
    }
  }
}
