package net.koukan.smtpclient;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.koukan.testing.Ports;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Real SMTP peers for the client tests, each a separate process on a 127.0.0.1 port, stopped by
 * its PID: Postfix's {@code smtp-sink} and {@code recorder.py} (a raw asyncio SMTP server that
 * logs every byte it receives). A test needing a missing tool is skipped, except on CI
 * ({@code CI=true}), where it fails.
 */
final class Peers {
  static final Path SMTP_SINK = Path.of("/usr/sbin/smtp-sink");
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final Path OPENSSL = Path.of("/usr/bin/openssl");
  static final ObjectMapper JSON = new ObjectMapper();

  private Peers() {}

  static void require(Path tool) {
    if (Files.isExecutable(tool)) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail(tool + " is required on CI (CI=true)");
    }
    Assumptions.abort(tool + " is not installed; skipping this peer test");
  }

  /** A peer process; {@link #close} stops it by its PID. */
  static class Peer implements AutoCloseable {
    final Process process;
    final int port;
    final Path dir;

    Peer(Process process, int port, Path dir) {
      this.process = process;
      this.port = port;
      this.dir = dir;
    }

    @Override
    public void close() {
      ProcessHandle h = process.toHandle();
      h.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          h.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ smtp-sink

  /** {@code smtp-sink} with dumps ({@code -d}) and its conversation ({@code -v}) in {@code dir}. */
  static final class Sink extends Peer {
    Sink(Process p, int port, Path dir) {
      super(p, port, dir);
    }

    /** The dumped messages (smtp-sink's X-* headers, then the message with LF line ends). */
    List<String> dumps() {
      try (Stream<Path> s = Files.list(dir)) {
        List<String> out = new ArrayList<>();
        for (Path p : s.filter(f -> f.getFileName().toString().startsWith("dump."))
            .sorted(Comparator.comparing(Path::toString)).toList()) {
          out.add(Files.readString(p, StandardCharsets.ISO_8859_1));
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * The commands smtp-sink logged with -v, in order (e.g. "MAIL FROM:<a@b>"). Its log is
     * buffered until it exits, so this stops the sink first.
     */
    List<String> commands() {
      close();
      try {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("sink.log"), StandardCharsets.ISO_8859_1)) {
          int at = l.indexOf("smtp-sink: "); // the prefix is argv[0]
          if (at >= 0) {
            String c = l.substring(at + "smtp-sink: ".length());
            if (c.matches("(?i)(EHLO|HELO|LHLO|MAIL|RCPT|DATA|BDAT|RSET|QUIT|STARTTLS)\\b.*|\\.")) {
              out.add(c);
            }
          }
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Starts {@code smtp-sink -u nobody -v -d <dir>/dump. <options> 127.0.0.1:<port> 128}. It drops
   * to {@code nobody}, so its folder is world-writable; it is removed by {@link #deleteTree}.
   */
  static Sink smtpSink(String... options) throws IOException {
    require(SMTP_SINK);
    Path dir = Files.createTempDirectory("koukan-sink-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    int port = Ports.free();
    List<String> cmd = new ArrayList<>(List.of(SMTP_SINK.toString(), "-u", "nobody", "-v",
        "-d", dir.resolve("dump.").toString()));
    cmd.addAll(List.of(options));
    cmd.add("127.0.0.1:" + port);
    cmd.add("128");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("sink.log").toFile()).start();
    Sink sink = new Sink(p, port, dir);
    awaitListening(sink, port);
    return sink;
  }

  private static void awaitListening(Peer peer, int port) {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      if (!peer.process.isAlive()) {
        throw new AssertionError("peer exited with " + peer.process.exitValue());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort
    }
  }

  // ------------------------------------------------------------------ aiosmtpd

  /**
   * {@code python3 -u -m aiosmtpd -n -u -l 127.0.0.1:<port> -c aiosmtpd.handlers.Debugging stdout}:
   * aiosmtpd 1.4 (8BITMIME, SMTPUTF8, no PIPELINING) printing each message it gets to
   * {@code <dir>/aiosmtpd.out}.
   */
  static Peer aiosmtpd(Path dir) throws IOException {
    require(PYTHON);
    int port = Ports.free();
    Process p = new ProcessBuilder(PYTHON.toString(), "-u", "-m", "aiosmtpd", "-n", "-u",
        "-l", "127.0.0.1:" + port, "-c", "aiosmtpd.handlers.Debugging", "stdout")
        .redirectErrorStream(true).redirectOutput(dir.resolve("aiosmtpd.out").toFile()).start();
    Peer peer = new Peer(p, port, dir);
    awaitListening(peer, port);
    return peer;
  }

  // ------------------------------------------------------------------ recorder.py

  /** {@code recorder.py}: what it logged, as JSON events. */
  static final class Recorder extends Peer {
    Recorder(Process p, int port, Path dir) {
      super(p, port, dir);
    }

    List<JsonNode> events() {
      try {
        List<JsonNode> out = new ArrayList<>();
        Path log = dir.resolve("recorder.log");
        if (!Files.exists(log)) {
          return out;
        }
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
          try {
            out.add(JSON.readTree(l));
          } catch (com.fasterxml.jackson.core.JacksonException e) {
            break; // the line the recorder is writing now
          }
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    List<JsonNode> events(String ev) {
      return events().stream().filter(e -> e.path("ev").asText().equals(ev)).toList();
    }

    /** The command lines received, in order. */
    List<String> commands() {
      return events("cmd").stream().map(e -> e.get("line").asText()).toList();
    }

    /** The recv() number that completed each command line. */
    List<Integer> reads() {
      return events("cmd").stream().map(e -> e.get("read").asInt()).toList();
    }

    /** The raw DATA sections (dot-stuffed, with the final dot), as bytes. */
    List<byte[]> data() {
      return events("data").stream()
          .map(e -> e.get("raw").asText().getBytes(StandardCharsets.ISO_8859_1)).toList();
    }

    int connections() {
      return events("connect").size();
    }
  }

  static Path recorderScript() {
    try {
      return Path.of(Peers.class.getResource("/smtpclient/recorder.py").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts {@code recorder.py --log <dir>/recorder.log <options>} on a free port. */
  static Recorder recorder(Path dir, String... options) throws IOException {
    require(PYTHON);
    List<String> cmd = new ArrayList<>(List.of(PYTHON.toString(), recorderScript().toString(),
        "--log", dir.resolve("recorder.log").toString()));
    cmd.addAll(List.of(options));
    Process p = new ProcessBuilder(cmd).redirectError(dir.resolve("recorder.err").toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
    String first;
    try {
      first = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.toHandle().destroyForcibly();
      throw new IOException("recorder.py did not start: " + e, e);
    }
    if (first == null || !first.startsWith("PORT ")) {
      p.toHandle().destroyForcibly();
      throw new IOException("recorder.py did not start: " + first + " "
          + Files.readString(dir.resolve("recorder.err")));
    }
    return new Recorder(p, Integer.parseInt(first.substring(5).trim()), dir);
  }
}
