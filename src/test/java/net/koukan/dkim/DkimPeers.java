package net.koukan.dkim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The independent DKIM implementation the tests compare against: dkimpy ({@code dkimsign},
 * {@code dknewkey}, and {@code dkimpy_tool.py} for verification against our loopback DNS). A test
 * needing a missing tool is skipped, except with {@code CI=true}, where it fails.
 */
final class DkimPeers {
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path DKIMSIGN = Path.of("/usr/bin/dkimsign");
  static final Path DKNEWKEY = Path.of("/usr/bin/dknewkey");
  static final Path DNSMASQ = Path.of("/usr/sbin/dnsmasq");
  static final ObjectMapper JSON = new ObjectMapper();

  private DkimPeers() {}

  static void require(Path tool) {
    if (Files.exists(tool)) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail(tool + " is required on CI (CI=true)");
    }
    Assumptions.abort(tool + " is not installed; skipping");
  }

  /** dkimpy with its optional modules (nacl for Ed25519, dnspython for our resolver). */
  static void requireDkimpy() {
    require(PYTHON);
    require(DKIMSIGN);
    require(DKNEWKEY);
    require(DNSMASQ);
    try {
      run(List.of(PYTHON.toString(), "-c", "import dkim, dns.resolver, nacl"), null, null);
    } catch (AssertionError e) {
      if ("true".equals(System.getenv("CI"))) {
        throw e;
      }
      Assumptions.abort("python3-dkim, python3-dnspython or python3-nacl missing: " + e.getMessage());
    }
  }

  /** Runs a command to completion (60 s at most) and returns its stdout; fails on a non-zero exit. */
  static byte[] run(List<String> cmd, byte[] stdin, Path dir) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      Process p = pb.start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        Assertions.fail("timed out: " + cmd);
      }
      if (p.exitValue() != 0) {
        Assertions.fail(cmd + " exited " + p.exitValue() + ": "
            + new String(err.join(), StandardCharsets.UTF_8));
      }
      return out.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  static Path resource(String name) {
    try {
      return Path.of(DkimPeers.class.getResource("/dkim/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The test corpus, with CRLF line endings (the files are stored with LF). */
  static Map<String, byte[]> corpus() throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (Stream<Path> s = Files.list(resource("corpus"))) {
      for (Path p : s.sorted().toList()) {
        out.put(p.getFileName().toString(), crlf(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  static byte[] crlf(byte[] lf) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(lf.length + 64);
    for (byte b : lf) {
      if (b == '\n') {
        out.write('\r');
      }
      out.write(b);
    }
    return out.toByteArray();
  }

  /**
   * dkimpy's verdict on every DKIM-Signature of each file, keys from the DNS server on
   * {@code port}: per file, one boolean per signature (top to bottom).
   */
  static Map<String, List<Boolean>> dkimpyVerify(int port, List<Path> files) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), resource("dkimpy_tool.py").toString(),
        "verify", Integer.toString(port)));
    files.forEach(f -> cmd.add(f.toString()));
    JsonNode out = JSON.readTree(run(cmd, null, null));
    Map<String, List<Boolean>> verdicts = new LinkedHashMap<>();
    for (JsonNode f : out) {
      List<Boolean> r = new ArrayList<>();
      f.get("results").forEach(x -> r.add(x.get("ok").asBoolean()));
      verdicts.put(f.get("file").asText(), r);
    }
    return verdicts;
  }
}
