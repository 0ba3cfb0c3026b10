package net.koukan.cli;

import java.util.concurrent.CountDownLatch;

/** How a serving command ends: it blocks until the JVM is told to stop, then closes what it runs. */
final class UntilStopped {
  private UntilStopped() {}

  /**
   * Blocks until SIGTERM/SIGINT; the shutdown hook runs {@code close} (stop listening, finish or
   * release work) before the JVM exits. Returns the command's exit status, 0.
   */
  static int await(Runnable close) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        close.run();
      } finally {
        done.countDown();
      }
    }, "shutdown"));
    done.await();
    return 0;
  }
}
