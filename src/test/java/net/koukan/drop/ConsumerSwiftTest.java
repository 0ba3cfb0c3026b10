package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.koukan.filter.BlobSource;
import org.junit.jupiter.api.Test;

/** The consumer protocol on a real Swift: exclusive claims, expiring leases, paged listings. */
class ConsumerSwiftTest {

  static List<String> fill(SwiftSaio swift, String container, int n) throws Exception {
    SwiftDestination d = new SwiftDestination("A", swift.client(), container, "message/rfc822", null,
        new ObjectNames("drop.test"), Clock.systemUTC());
    List<String> names = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] m = ("Subject: m" + i + "\r\n\r\n" + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
      StoreResult r = d.store(DropServeSwiftTest.receipt(m, Instant.now()), BlobSource.of(m), Instant.now().plusSeconds(20));
      names.add(((StoreResult.Stored) r).objectName().substring("cur/".length()));
    }
    return names;
  }

  @Test
  void twoConcurrentConsumersNeverGetTheSameMessage() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String container = swift.newContainer("consume");
    List<String> names = fill(swift, container, 12);
    DropQueue q1 = new SwiftQueue(swift.client(), container, Clock.systemUTC());
    DropQueue q2 = new SwiftQueue(swift.client(), container, Clock.systemUTC());
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> fs = new ArrayList<>();
    for (DropQueue q : List.of(q1, q2)) {
      fs.add(pool.submit(() -> {
        while (true) {
          Optional<DropQueue.Claim> c = q.claimNext(Duration.ofSeconds(60));
          if (c.isEmpty()) {
            return null;
          }
          got.add(c.get().name());
          q.finish(c.get(), DropQueue.Folder.DONE);
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get(180, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(got).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(names);
    assertThat(swift.names(container, "cur/")).isEmpty();
    assertThat(swift.names(container, "processing/")).isEmpty();
    // listing with a marker, two at a time
    List<String> paged = new ArrayList<>();
    String marker = null;
    do {
      DropQueue.Page p = q1.list(DropQueue.Folder.DONE, marker, 5);
      p.entries().forEach(e -> paged.add(e.name()));
      marker = p.nextMarker();
    } while (marker != null);
    assertThat(paged).containsExactlyInAnyOrderElementsOf(names);
  }

  @Test
  void aCrashedConsumersLeaseExpiresAndTheMessageIsClaimedAgain() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String container = swift.newContainer("lease");
    String name = fill(swift, container, 1).get(0);
    DropQueue crashed = new SwiftQueue(swift.client(), container, Clock.systemUTC());
    DropQueue other = new SwiftQueue(swift.client(), container, Clock.systemUTC());
    DropQueue.Claim lost = crashed.claimNext(Duration.ofSeconds(2)).orElseThrow();
    assertThat(lost.name()).isEqualTo(name);
    assertThat(swift.names(container, "processing/")).containsExactly("processing/" + name);
    assertThat(other.claimNext(Duration.ofSeconds(60))).isEmpty(); // leased
    DropQueue.Claim again = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(() -> other.claimNext(Duration.ofSeconds(60)), Optional::isPresent).orElseThrow();
    assertThat(again.name()).isEqualTo(name);
    byte[] body;
    try (var in = other.open(again)) {
      body = in.readAllBytes();
    }
    assertThat(new String(body, StandardCharsets.US_ASCII)).startsWith("Subject: m0");
    assertThatThrownBy(() -> crashed.finish(lost, DropQueue.Folder.DONE))
        .isInstanceOf(DropQueue.LeaseLostException.class);
    other.finish(other.resume(again.id()), DropQueue.Folder.RETRY);
    assertThat(swift.names(container, "retry/")).containsExactly("retry/" + name);
    assertThat(swift.names(container, "processing/")).isEmpty();
  }
}
