package net.koukan.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import net.koukan.testing.HttpTestClient;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7's outage test: two routers, a gateway and a receiver on a PostgreSQL server of the
 * test's own ({@link PrivatePostgres}, so the machine's shared server is never stopped), under a
 * steady REST + SMTP load; the server is stopped for 10 s and started again. Nothing acknowledged
 * is lost; SMTP sessions that ended while it was away got 4xx and never 250; REST creates got
 * 503 with a JSON error; /readyz said so; the same router processes deliver again afterwards.
 */
class PostgresOutageIT {
  static final Duration OUTAGE = Duration.ofSeconds(10);

  @TempDir Path dir;

  /** One SMTP submission as the client saw it. */
  record Smtp(long startNanos, long endNanos, int code) {}

  @Test
  void routersAnswer503And451WhileTheDatabaseIsAwayAndRecoverWithoutRestart() throws Exception {
    int receiverPort = Ports.free();
    int[] routerPorts = {Ports.free(), Ports.free()};
    int[] smtpPorts = {Ports.free(), Ports.free()};
    int gwRest = Ports.free();
    Path inbox = Files.createDirectories(dir.resolve("inbox"));
    List<RouterProcess> procs = new ArrayList<>();
    ExecutorService load = Executors.newFixedThreadPool(8);
    try (PrivatePostgres pg = new PrivatePostgres()) {
      String storage = pg.jdbcUrl();
      RouterProcess receiver = RouterProcess.jar(dir, "receiver", "--listen",
          "127.0.0.1:" + receiverPort, "--dir", inbox.toString());
      procs.add(receiver);
      RouterProcess[] routers = new RouterProcess[2];
      for (int i = 0; i < 2; i++) {
        Path cfg = dir.resolve("router" + i + ".yaml");
        Files.writeString(cfg, ClusterKillIT.routerYaml(routerPorts[i], receiverPort, receiverPort, storage));
        routers[i] = RouterProcess.jar(dir, "router", cfg.toString());
        procs.add(routers[i]);
        routers[i].awaitHealthy(ClusterKillIT.base(routerPorts[i]), Duration.ofSeconds(60));
      }
      Path gwCfg = dir.resolve("gateway.yaml");
      Files.writeString(gwCfg, ClusterKillIT.gatewayYaml(gwRest, smtpPorts, routerPorts));
      RouterProcess gateway = RouterProcess.jar(dir, "gateway", gwCfg.toString());
      procs.add(gateway);
      receiver.awaitHealthy("http://127.0.0.1:" + receiverPort, Duration.ofSeconds(60));
      gateway.awaitHealthy("http://127.0.0.1:" + gwRest, Duration.ofSeconds(60));

      Map<Integer, String> acked = new ConcurrentHashMap<>();
      List<Smtp> smtp = new CopyOnWriteArrayList<>();
      AtomicInteger rest503 = new AtomicInteger();
      AtomicInteger next = new AtomicInteger();
      AtomicBoolean running = new AtomicBoolean(true);
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        workers.add(load.submit(() -> {
          while (running.get()) {
            int n = next.getAndIncrement();
            String msg = "Subject: cluster " + n + "\r\n\r\nbody " + n + "\r\n";
            int i = (n / 4) % 2;
            if (n % 4 == 0) {
              HttpTestClient.Resp r = new HttpTestClient(ClusterKillIT.base(routerPorts[i])).post(
                  "/senders/submission/transactions", "{\"mail_from\": {\"m\": \"a@example.com\"},"
                      + " \"rcpt_to\": [{\"m\": \"b@example.com\"}], \"body\": {\"inline\": \""
                      + msg.replace("\r\n", "\\r\\n") + "\"}}");
              if (r.status() == 201) {
                acked.put(n, "rest");
              } else if (r.status() == 503) {
                assertThat(r.json().get("code").asText()).isEqualTo("storage_unavailable");
                rest503.incrementAndGet();
              }
            } else {
              long t = System.nanoTime();
              int code = MiniSmtp.send(smtpPorts[i], "a@example.com", "b@example.com", msg);
              smtp.add(new Smtp(t, System.nanoTime(), code));
              if (code == 250) {
                acked.put(n, "smtp");
              }
            }
          }
          return null;
        }));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 40);
      long stopped = System.nanoTime();
      pg.stop();
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .until(() -> new HttpTestClient(ClusterKillIT.base(routerPorts[0])).get("/readyz").status() == 503);
      // probes while it is down (besides the load): REST 503 with a JSON error, SMTP 4xx
      HttpTestClient.Resp probe = new HttpTestClient(ClusterKillIT.base(routerPorts[1])).post(
          "/senders/submission/transactions", "{\"mail_from\": {\"m\": \"a@example.com\"},"
              + " \"rcpt_to\": [{\"m\": \"b@example.com\"}], \"body\": {\"inline\": \"x\"}}");
      int smtpProbe = MiniSmtp.send(smtpPorts[0], "a@example.com", "b@example.com",
          "Subject: probe\r\n\r\nprobe\r\n");
      long left = OUTAGE.toNanos() - (System.nanoTime() - stopped);
      if (left > 0) {
        await().pollDelay(Duration.ofNanos(left)).until(() -> true); // the rest of the 10 s
      }
      long started = System.nanoTime();
      pg.start();
      int ackedAtRestart = acked.size();
      for (int i = 0; i < 2; i++) {
        String base = ClusterKillIT.base(routerPorts[i]);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> new HttpTestClient(base).get("/readyz").status() == 200);
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= ackedAtRestart + 40);
      running.set(false);
      for (Future<?> f : workers) {
        f.get();
      }
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
          .until(() -> ClusterKillIT.Inbox.count(inbox).keySet().containsAll(acked.keySet()));

      long lo = stopped + Duration.ofSeconds(1).toNanos();
      // SMTP sessions that ended (got their last reply) while the database was away
      List<Smtp> inside = smtp.stream().filter(s -> s.endNanos() >= lo && s.endNanos() <= started).toList();
      long inside250 = inside.stream().filter(s -> s.code() == 250).count();
      long inside4xx = inside.stream().filter(s -> s.code() >= 400 && s.code() < 500).count();
      Map<Integer, Integer> delivered = ClusterKillIT.Inbox.count(inbox);
      long lost = acked.keySet().stream().filter(n -> !delivered.containsKey(n)).count();
      long twice = acked.keySet().stream().filter(n -> delivered.getOrDefault(n, 0) > 1).count();
      System.out.printf("outage test: %d acknowledged, %d lost, %d delivered twice or more;"
          + " SMTP sessions ending during the %d s outage: %d, %d got 4xx, %d got 250; %d REST 503s%n",
          acked.size(), lost, twice, OUTAGE.toSeconds(), inside.size(), inside4xx, inside250,
          rest503.get());
      assertThat(lost).isZero();
      assertThat(inside250).as("no SMTP 250 while the database was away").isZero();
      assertThat(probe.status()).as("REST while the database is away").isEqualTo(503);
      assertThat(probe.json().get("code").asText()).isEqualTo("storage_unavailable");
      assertThat(smtpProbe).as("SMTP while the database is away").isBetween(400, 499);
      for (RouterProcess r : routers) {
        assertThat(r.process.isAlive()).as("no restart").isTrue();
      }
    } finally {
      load.shutdownNow();
      for (RouterProcess p : procs) {
        p.close();
      }
    }
  }
}
