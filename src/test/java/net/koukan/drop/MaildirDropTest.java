package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.koukan.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local-folder target: same naming, no overwrite, same consumer contract. */
class MaildirDropTest {
  @TempDir Path dir;

  @Test
  void smtpToFolderThenConcurrentConsumersAndLeaseExpiry() throws Exception {
    Clock frozen = Clock.fixed(Instant.parse("2026-11-22T10:00:00.000001Z"), ZoneOffset.UTC);
    byte[] msg = "Subject: local\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(5),
        DropHarness.folderSection("LOCAL", dir, "l@example.com")), frozen)) {
      for (int i = 0; i < 10; i++) {
        assertThat(DropHarness.send(h.port(), "s@example.org", List.of("l@example.com"), msg)).startsWith("250 ");
      }
    }
    List<Path> cur;
    try (var s = Files.list(dir.resolve("cur"))) {
      cur = s.toList();
    }
    assertThat(cur).hasSize(10);
    for (Path p : cur) {
      assertThat(Files.readAllBytes(p)).isEqualTo(msg);
      assertThat(p.getFileName().toString()).startsWith("1795341600.M000001R").endsWith(",S=" + msg.length);
      assertThat(dir.resolve("envelope").resolve(p.getFileName() + ".json")).exists();
    }
    assertThat(dir.resolve("tmp")).isEmptyDirectory();

    MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    DropQueue q1 = new MaildirQueue(dir, clock);
    DropQueue q2 = new MaildirQueue(dir, clock);
    // one consumer claims and "crashes"
    DropQueue.Claim crashed = q1.claimNext(Duration.ofSeconds(30)).orElseThrow();
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> fs = new ArrayList<>();
    for (DropQueue q : List.of(q1, q2)) {
      fs.add(pool.submit(() -> {
        for (Optional<DropQueue.Claim> c = q.claimNext(Duration.ofSeconds(30)); c.isPresent();
            c = q.claimNext(Duration.ofSeconds(30))) {
          got.add(c.get().name());
          q.finish(c.get(), DropQueue.Folder.DONE);
        }
        return null;
      }));
    }
    for (Future<?> f : fs) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertThat(got).hasSize(9).doesNotHaveDuplicates().doesNotContain(crashed.name());
    assertThat(q2.claimNext(Duration.ofSeconds(30))).isEmpty(); // still leased
    clock.advance(Duration.ofSeconds(31));
    DropQueue.Claim again = q2.claimNext(Duration.ofSeconds(30)).orElseThrow();
    assertThat(again.name()).isEqualTo(crashed.name());
    assertThatThrownBy(() -> q1.finish(crashed, DropQueue.Folder.DONE)).isInstanceOf(DropQueue.LeaseLostException.class);
    q2.finish(q2.resume(again.id()), DropQueue.Folder.FAILED);
    assertThat(q2.list(DropQueue.Folder.FAILED, null, 10).entries()).extracting(DropQueue.Entry::name)
        .containsExactly(crashed.name());
    assertThat(q2.list(DropQueue.Folder.DONE, null, 100).entries()).hasSize(9);
    assertThat(q2.list(DropQueue.Folder.PROCESSING, null, 100).entries()).isEmpty();
  }
}
