package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.koukan.drop.swift.SwiftAuth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The §13.7 status mapping, against a fake Swift for what a real one cannot show on demand. */
class SwiftFaultsTest {
  static final byte[] MSG = "Subject: fault\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
  FakeSwift swift;
  DropHarness drop;

  @BeforeEach
  void start() throws Exception {
    swift = new FakeSwift();
  }

  @AfterEach
  void stop() {
    if (drop != null) {
      drop.close();
    }
    swift.close();
  }

  DropHarness drop(Duration budget, String key) throws Exception {
    drop = new DropHarness(DropHarness.config(budget, DropHarness.swiftSection("A",
        new SwiftAuth.V1(swift.authUrl(), "test:tester", key, null), "box", "a@example.com")), Clock.systemUTC());
    return drop;
  }

  String send() throws Exception {
    return DropHarness.send(drop.port(), "s@example.org", List.of("a@example.com"), MSG);
  }

  @Test
  void expiredTokenIsRenewedOnceAndTheMessageStored() throws Exception {
    drop(Duration.ofSeconds(10), "testing");
    int authsAtStart = swift.auths.get(); // the start-up check authenticated
    String stale = FakeSwift.token(authsAtStart);
    swift.onPut = p -> p.token().equals(stale) ? 401 : 201; // the token "expired"
    assertThat(send()).startsWith("250 2.0.0 Ok: stored A:cur/");
    assertThat(swift.auths.get()).isEqualTo(authsAtStart + 1);
    assertThat(swift.objects).hasSize(1);
    // the new token is kept for the next message
    assertThat(send()).startsWith("250 ");
    assertThat(swift.auths.get()).isEqualTo(authsAtStart + 1);
  }

  @Test
  void a401AfterRenewalIs451NotPermanent() throws Exception {
    drop(Duration.ofSeconds(10), "testing");
    swift.onPut = p -> 401;
    assertThat(send()).startsWith("451 4.3.0 the object store refused our credentials");
    assertThat(swift.objects).isEmpty();
  }

  @Test
  void a412RaceTakesANewNameAndNeverOverwrites() throws Exception {
    drop(Duration.ofSeconds(10), "testing");
    AtomicInteger n = new AtomicInteger();
    swift.onPut = p -> n.incrementAndGet() == 1 ? 412 : 201; // someone else took the first name
    assertThat(send()).startsWith("250 ");
    assertThat(swift.puts).hasSize(2);
    assertThat(swift.puts.get(0).path()).isNotEqualTo(swift.puts.get(1).path());
    assertThat(swift.puts).allMatch(p -> "*".equals(p.headers().get("If-None-Match")));
  }

  @Test
  void a422ChecksumMismatchIsRetriedOnceThen451() throws Exception {
    drop(Duration.ofSeconds(10), "testing");
    AtomicInteger n = new AtomicInteger();
    swift.onPut = p -> n.incrementAndGet() == 1 ? 422 : 201;
    assertThat(send()).startsWith("250 ");
    assertThat(swift.puts.get(1).headers().get("ETag")).isEqualTo(swift.puts.get(0).headers().get("ETag"))
        .matches("[0-9a-f]{32}");
    swift.onPut = p -> 422;
    swift.puts.clear();
    assertThat(send()).startsWith("451 4.3.0");
    assertThat(swift.puts).hasSize(2);
  }

  @Test
  void a413Is552AndServerErrorsAreRetriedWithinTheBudgetThen451() throws Exception {
    drop(Duration.ofSeconds(2), "testing");
    swift.onPut = p -> 413;
    assertThat(send()).startsWith("552 5.3.4");
    swift.onPut = p -> 503;
    swift.puts.clear();
    long t0 = System.nanoTime();
    assertThat(send()).startsWith("451 4.3.0 temporary failure of the object store");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    assertThat(swift.puts.size()).isGreaterThan(1);
    assertThat(swift.objects).isEmpty();
  }

  @Test
  void theClientGetsNoAnswerUntilThePutReturned() throws Exception {
    drop(Duration.ofSeconds(30), "testing");
    CountDownLatch received = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    swift.onPut = p -> {
      received.countDown();
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 201;
    };
    CompletableFuture<String> reply = CompletableFuture.supplyAsync(() -> {
      try {
        return send();
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    assertThat(received.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(reply).isNotDone();
    assertThat(swift.objects).isEmpty();
    release.countDown();
    await().atMost(Duration.ofSeconds(30)).until(reply::isDone);
    assertThat(reply.get()).startsWith("250 ");
    assertThat(swift.objects).hasSize(1);
  }

  @Test
  void wrongCredentialsAtStartRefuseToStart() throws Exception {
    try {
      drop(Duration.ofSeconds(5), "wrong");
      throw new AssertionError("started");
    } catch (DropConfigException e) {
      assertThat(e.getMessage()).contains("section A: container box").contains("401");
    }
  }
}
