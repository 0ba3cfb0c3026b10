package net.koukan.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real router process started from the packaged jar ({@code target/koukan.jar}) or the
 * {@code ./koukan} launcher, stopped by PID. Output goes to a log file in the work dir.
 */
public final class RouterProcess implements AutoCloseable {
  public final Process process;
  public final Path log;

  private RouterProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  public static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("pom.xml"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("repository root not found");
    }
    return p;
  }

  /** Runs {@code java -jar target/koukan.jar args...} in {@code workDir}. */
  public static RouterProcess jar(Path workDir, String... args) throws IOException {
    String prop = System.getProperty("koukan.jar");
    Path jar = prop != null ? Path.of(prop) : repoRoot().resolve("target/koukan.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " missing: integration tests run after `mvn package`");
    }
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    return start(workDir, cmd);
  }

  /** Runs the {@code ./koukan} launcher with {@code args} in {@code workDir}. */
  public static RouterProcess launcher(Path workDir, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(repoRoot().resolve("koukan").toString()));
    cmd.addAll(List.of(args));
    return start(workDir, cmd);
  }

  private static RouterProcess start(Path workDir, List<String> cmd) throws IOException {
    Path log = workDir.resolve("process-" + System.nanoTime() + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    return new RouterProcess(pb.start(), log);
  }

  /** Waits until {@code GET base/healthz} answers 200, or the process dies. */
  public void awaitHealthy(String base, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("process exited with " + process.exitValue() + ":\n" + output());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
            .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not healthy within " + timeout + ":\n" + output());
  }

  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** SIGKILL: no shutdown hook runs. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("process did not exit:\n" + output());
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy(); // SIGTERM: clean shutdown
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        kill();
      }
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
  }
}
