package net.koukan.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.koukan.testing.Ports;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, a free port on loopback), so that
 * a test can stop and start it without disturbing the machine's shared server and the tests
 * using it. Uses the server binaries under /usr/lib/postgresql; as root, runs them as the
 * {@code postgres} user. Missing binaries skip the test, or fail it under CI=true.
 */
final class PrivatePostgres implements AutoCloseable {
  final int port = Ports.free();
  private final Path dir;
  private final Path bin;
  private final boolean root;

  /** Its own temp dir (JUnit's is not reachable by the postgres user). */
  PrivatePostgres() throws Exception {
    this.bin = findBin();
    this.dir = Files.createTempDirectory("koukan-pg");
    this.root = "root".equals(System.getProperty("user.name"));
    if (root) {
      run(List.of("chown", "-R", "postgres", dir.toString()), false);
    }
    run(List.of(bin.resolve("initdb").toString(), "-D", data(), "-A", "trust", "-U", "postgres",
        "--no-sync", "-E", "UTF8"), true);
    start();
  }

  String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
  }

  private String data() {
    return dir.resolve("data").toString();
  }

  void start() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-l", dir.resolve("server.log").toString(),
        "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "-w", "-t", "60", "start"), true);
  }

  /** Fast shutdown: sessions are cut, as when the server goes away. */
  void stop() throws Exception {
    run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"), true);
  }

  private void run(List<String> cmd, boolean asPostgres) throws Exception {
    List<String> full = new ArrayList<>();
    if (asPostgres && root) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(cmd);
    Process p = new ProcessBuilder(full).redirectErrorStream(true)
        .redirectOutput(dir.resolve("commands.log").toFile().exists()
            ? ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile())
            : ProcessBuilder.Redirect.to(dir.resolve("commands.log").toFile()))
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", full) + " failed:\n"
          + Files.readString(dir.resolve("commands.log")));
    }
  }

  private static Path findBin() throws IOException {
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> s = Files.list(base)) {
        Path best = s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("initdb")))
            .max(Comparator.comparing(p -> Integer.parseInt(p.getParent().getFileName().toString()
                .replaceAll("\\D", "0")))).orElse(null);
        if (best != null) {
          return best;
        }
      }
    }
    String msg = "PostgreSQL server binaries (initdb, pg_ctl) not found under " + base;
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError(msg + " (CI=true: a missing service fails the run)");
    }
    Assumptions.abort(msg);
    return null;
  }

  @Override
  public void close() throws Exception {
    try {
      stop();
    } catch (Exception e) {
      // already stopped
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
