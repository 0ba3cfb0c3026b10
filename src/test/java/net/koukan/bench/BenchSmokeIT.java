package net.koukan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.koukan.testing.RouterProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark command is not part of the test suite, but a small run of it is: {@code bench/run
 * smoke} sends a few hundred messages through every scenario (relay via smtp-source with Postfix
 * beside us when we are root, REST, idle sessions, a 5 MB message, concurrent senders) against the
 * packaged jar, and must deliver every one of them and print the table.
 */
class BenchSmokeIT {
  static final long TIMEOUT_SECONDS = 170;

  @TempDir Path dir;

  @Test
  void smokeRunDeliversEverythingAndPrintsTheTable() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/sbin/smtp-source"))
        || !Files.isExecutable(Path.of("/usr/sbin/smtp-sink"))) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("smtp-source/smtp-sink (Debian package postfix) missing (CI=true)");
      }
      Assumptions.abort("postfix's smtp-source/smtp-sink not installed");
    }
    Path root = RouterProcess.repoRoot();
    String prop = System.getProperty("koukan.jar");
    Path jar = prop != null ? Path.of(prop) : root.resolve("target/koukan.jar");
    assertThat(jar).as("the packaged jar").exists();
    Path log = dir.resolve("bench.log");
    Process p = new ProcessBuilder("bash", root.resolve("bench/run").toString(), "smoke",
        "--no-install", "--jar", jar.toString(), "--out", dir.resolve("out").toString())
        .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      List<ProcessHandle> children = p.descendants().toList();
      p.destroy(); // bench/run stops what it started on TERM
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        children.forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      throw new AssertionError("bench/run smoke did not finish in " + TIMEOUT_SECONDS + " s:\n"
          + Files.readString(log, StandardCharsets.UTF_8));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println(out);
    assertThat(p.exitValue()).as("bench/run smoke exit status; output:\n%s", out).isZero();
    assertThat(out).contains("| scenario | case | system | figures | notes |")
        .contains("every message delivered")
        .doesNotContain("WEDGED")
        .containsPattern("\\| relay \\| 10 KB, 20 sessions, connection reuse \\| koukan/sqlite \\| [0-9.]+ msg/s"
            + " \\| delivered 200/200")
        .containsPattern("\\| relay \\| 10 KB, 20 sessions, new connection per message \\| koukan/sqlite"
            + " \\| [0-9.]+ msg/s \\| delivered 200/200")
        .containsPattern("\\| rest \\| 1 KB bodies, 20 clients \\| koukan/sqlite \\| [0-9.]+ accepted/s,"
            + " [0-9.]+ delivered/s, p50 [0-9.]+ ms, p99 [0-9.]+ ms \\| accepted 200/200, delivered 200")
        .containsPattern("\\| sessions \\| 300 idle sessions \\| koukan/sqlite \\| RSS [0-9]+ MB .*300/300 answered NOOP")
        .containsPattern("\\| bigmsg \\| one 5 MB message, SMTP \\| koukan/sqlite \\| [0-9.]+ s, RSS \\+-?[0-9]+ MB")
        .containsPattern("\\| bigmsg \\| one 5 MB message, REST \\(POST \\+ PUT body\\) \\| koukan/sqlite \\| [0-9.]+ s")
        .containsPattern("\\| concurrency \\| 100 sessions sending at once .* \\| koukan/sqlite \\| 100/100 delivered");
    if (ProcessHandle.current().info().user().orElse("").equals("root")) {
      // Postfix as a private peer needs root; then the ratio line is there too
      assertThat(out).containsPattern("\\| relay \\| 10 KB, 20 sessions, connection reuse \\| postfix \\| [0-9.]+ msg/s")
          .containsPattern("relay ratio vs Postfix: [0-9]+\\.[0-9]{2}");
    }
  }
}
