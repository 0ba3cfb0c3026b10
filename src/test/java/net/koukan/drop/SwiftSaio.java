package net.koukan.drop;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import net.koukan.drop.swift.SwiftAuth;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterProcess;
import org.junit.jupiter.api.Assumptions;

/**
 * A real OpenStack Swift for the tests. With {@code SWIFT_AUTH_URL} set (and optionally
 * {@code SWIFT_USER}, {@code SWIFT_KEY}, {@code SAIO_DIR} for fault injection) that one is used;
 * otherwise one SAIO is started for this JVM with {@code tools/swift-saio/swift-saio.sh} (or
 * {@code $SWIFT_SAIO_SCRIPT}) on free loopback ports, {@code SAIO_NODE_TIMEOUT=2}, and stopped by
 * its PIDs (the script's stop companion) when the JVM exits. When neither works the test is
 * skipped, except under {@code CI=true}, where it fails.
 */
final class SwiftSaio {
  private static SwiftSaio instance;
  private static Throwable failure;

  final URI authUrl;
  final String user;
  final String key;
  /** The SAIO state dir (pid files), or null for an external Swift without one. */
  final Path dir;

  private SwiftSaio(URI authUrl, String user, String key, Path dir) {
    this.authUrl = authUrl;
    this.user = user;
    this.key = key;
    this.dir = dir;
  }

  static synchronized SwiftSaio get() {
    if (instance == null && failure == null) {
      try {
        instance = start();
      } catch (Throwable t) {
        failure = t;
      }
    }
    if (instance == null) {
      String msg = "no OpenStack Swift for the drop tests: " + failure.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(msg + "; CI=true: a missing Swift fails the run", failure);
      }
      Assumptions.abort(msg);
    }
    return instance;
  }

  private static SwiftSaio start() throws Exception {
    String external = System.getenv("SWIFT_AUTH_URL");
    if (external != null && !external.isBlank()) {
      String d = System.getenv("SAIO_DIR");
      SwiftSaio s = new SwiftSaio(URI.create(external), env("SWIFT_USER", "test:tester"),
          env("SWIFT_KEY", "testing"), d == null ? null : Path.of(d));
      s.client().token(); // reachable?
      return s;
    }
    Path script = Path.of(env("SWIFT_SAIO_SCRIPT",
        RouterProcess.repoRoot().resolve("tools/swift-saio/swift-saio.sh").toString()));
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException(script + " not found (set SWIFT_SAIO_SCRIPT or SWIFT_AUTH_URL)");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/swift-proxy-server")) && !"0".equals(uid())) {
      throw new IllegalStateException("swift is not installed and we are not root to install it");
    }
    Path dir = Files.createTempDirectory("drop-saio-");
    Path current = Path.of("/tmp/swift-saio.current");
    String previous = Files.exists(current) ? Files.readString(current) : null;
    int proxy = Ports.free();
    ProcessBuilder pb = new ProcessBuilder("bash", script.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("start.log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> e = pb.environment();
    e.put("SAIO_DIR", dir.resolve("saio").toString());
    e.put("SAIO_PROXY_PORT", Integer.toString(proxy));
    e.put("SAIO_OBJECT_PORT", Integer.toString(Ports.free()));
    e.put("SAIO_CONTAINER_PORT", Integer.toString(Ports.free()));
    e.put("SAIO_ACCOUNT_PORT", Integer.toString(Ports.free()));
    e.put("SAIO_MEMCACHED_PORT", Integer.toString(Ports.free()));
    e.put("SAIO_NODE_TIMEOUT", "2");
    Process p = pb.start();
    boolean done = p.waitFor(300, TimeUnit.SECONDS);
    restoreCurrent(current, previous);
    Path saio = dir.resolve("saio");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(script, saio), "saio-stop"));
    if (!done) {
      p.destroyForcibly();
      throw new IllegalStateException("swift-saio.sh did not finish in 300 s: " + log(dir));
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("swift-saio.sh failed (" + p.exitValue() + "): " + log(dir));
    }
    SwiftSaio s = new SwiftSaio(URI.create("http://127.0.0.1:" + proxy + "/auth/v1.0"), "test:tester", "testing", saio);
    s.client().token();
    return s;
  }

  private static void restoreCurrent(Path current, String previous) {
    try {
      if (previous != null) {
        Files.writeString(current, previous);
      } else {
        Files.deleteIfExists(current);
      }
    } catch (IOException ignored) {
      // not ours to fix
    }
  }

  private static void stop(Path script, Path saio) {
    try {
      Process p = new ProcessBuilder("bash", script.resolveSibling("swift-saio-stop.sh").toString(),
          saio.toString(), "--purge").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      p.waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(saio.getParent().resolve("start.log"));
      Files.deleteIfExists(saio.getParent());
    } catch (IOException | InterruptedException ignored) {
      // best effort at exit
    }
  }

  private static String log(Path dir) {
    try {
      String l = Files.readString(dir.resolve("start.log"), StandardCharsets.UTF_8);
      return l.length() > 3000 ? l.substring(l.length() - 3000) : l;
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static String uid() {
    try {
      return new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim();
    } catch (IOException e) {
      return "?";
    }
  }

  private static String env(String k, String d) {
    String v = System.getenv(k);
    return v == null || v.isBlank() ? d : v;
  }

  SwiftAuth.V1 auth() {
    return new SwiftAuth.V1(authUrl, user, key, null);
  }

  SwiftClient client() {
    return new SwiftClient(auth(), Duration.ofSeconds(15), Clock.systemUTC());
  }

  /** A new, empty container. */
  String newContainer(String prefix) throws IOException {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    int s = client().send("PUT", name, null, null, Map.of(), 0, null, null).status();
    if (s / 100 != 2) {
      throw new IOException("PUT container " + name + ": HTTP " + s);
    }
    return name;
  }

  /** The PID of a SAIO server (object-server, proxy-server, memcached...), or -1 if unknown. */
  long pid(String server) throws IOException {
    if (dir == null || !Files.exists(dir.resolve("run/" + server + ".pid"))) {
      return -1;
    }
    return Long.parseLong(Files.readString(dir.resolve("run/" + server + ".pid")).trim());
  }

  static void signal(long pid, String sig) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("kill -" + sig + " " + pid + " failed");
    }
  }

  /** Every object name in a container. */
  List<String> names(String container, String prefix) throws IOException {
    List<String> out = new ArrayList<>();
    client().list(container, prefix, null, 10000).forEach(o -> out.add(o.name()));
    return out;
  }
}
