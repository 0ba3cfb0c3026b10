package net.koukan.smtp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * External programs for black-box tests (../shared/testing/black-box-peers.md). A missing tool
 * skips the test, except under {@code CI=true}, where it fails it. Every process started is
 * waited for with a timeout and, if still running, killed by its PID (with its descendants).
 */
final class Peers {
  /** Exit code and combined output of a finished process. */
  record Result(int exit, String output) {}

  private Peers() {}

  static Path require(String path) {
    Path p = Path.of(path);
    if (Files.isExecutable(p)) {
      return p;
    }
    String msg = path + " is not installed (see ../shared/testing/black-box-peers.md)";
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(msg + "; CI=true: a missing tool fails the run");
    }
    Assumptions.abort(msg);
    return p;
  }

  static Result run(Duration timeout, Path workDir, List<String> cmd) throws IOException, InterruptedException {
    Path log = Files.createTempFile(workDir, "peer-", ".out");
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill(p);
        throw new AssertionError(cmd.get(0) + " (pid " + p.pid() + ") did not finish in " + timeout
            + "; output:\n" + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      if (p.isAlive()) {
        kill(p);
      }
    }
  }

  /** Kills a process we started, by its PID, and whatever it started. */
  static void kill(Process p) throws InterruptedException {
    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    p.waitFor(5, TimeUnit.SECONDS);
  }
}
