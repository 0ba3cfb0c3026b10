package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool read while it grows: in memory and after it moved to a file. */
class SpoolTest {
  @TempDir Path dir;

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static String read(InputStream in) throws Exception {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }

  @Test
  void readableWhileGrowingAcrossTheMoveToAFile() throws Exception {
    try (Spool s = new Spool(16, dir)) {
      s.write(bytes("0123456789"), 0, 10);
      assertThat(read(s.open(2, 5))).isEqualTo("23456");
      assertThat(s.complete()).isFalse();
      assertThat(s.abandoned()).isFalse();
      s.write(bytes("abcdefghij"), 0, 10); // past 16 bytes: now on disk, buffered
      assertThat(s.onDisk()).isTrue();
      assertThat(read(s.open(8, 6))).isEqualTo("89abcd"); // flushed for the reader
      CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
        try {
          return s.awaitSize(25, System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
        } catch (InterruptedException e) {
          throw new RuntimeException(e);
        }
      });
      s.write(bytes("KLMNO"), 0, 5);
      assertThat(waiter.get(20, TimeUnit.SECONDS)).isEqualTo(25);
      s.finish();
      assertThat(s.complete()).isTrue();
      assertThat(read(s.open())).isEqualTo("0123456789abcdefghijKLMNO");
      assertThatThrownBy(() -> s.open(20, 6)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void closedBeforeFinishIsAbandonedAndWakesTheReader() throws Exception {
    Spool s = new Spool(1024, dir);
    s.write(bytes("partial"), 0, 7);
    CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
      try {
        return s.awaitSize(1000, System.nanoTime() + TimeUnit.SECONDS.toNanos(20));
      } catch (InterruptedException e) {
        throw new RuntimeException(e);
      }
    });
    s.close();
    assertThat(waiter.get(20, TimeUnit.SECONDS)).isEqualTo(7);
    assertThat(s.abandoned()).isTrue();
    assertThat(s.complete()).isFalse();
    assertThatThrownBy(() -> s.open(0, 7)).hasMessageContaining("released");
  }
}
