package net.koukan.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real DNS server for tests: dnsmasq on a free loopback port, answering only from its
 * command-line records ({@code --no-resolv --no-hosts}). Stopped by PID.
 */
public final class Dnsmasq implements AutoCloseable {
  public final int port;
  private final Process process;

  private Dnsmasq(int port, Process process) {
    this.port = port;
    this.process = process;
  }

  /**
   * Starts dnsmasq with these record options (e.g. {@code --mx-host=...}). The port is free for
   * UDP when picked, but another process may hold it for TCP or take it first: then we try another.
   */
  public static Dnsmasq start(Path dir, String... records) throws IOException, InterruptedException {
    Path bin = Path.of("/usr/sbin/dnsmasq");
    if (!Files.isExecutable(bin)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("dnsmasq is missing (CI=true)");
      }
      Assumptions.abort("dnsmasq not installed");
    }
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return startOnce(bin, dir, records);
      } catch (PortTaken e) {
        last = e;
      }
    }
    throw last;
  }

  private static final class PortTaken extends IOException {
    PortTaken(String m) {
      super(m);
    }
  }

  private static Dnsmasq startOnce(Path bin, Path dir, String... records) throws IOException, InterruptedException {
    int port;
    try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(bin.toString(), "--keep-in-foreground", "--no-resolv",
        "--no-hosts", "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--user=root", "--pid-file=" + dir.resolve("dnsmasq.pid"), "--log-facility=-"));
    cmd.addAll(List.of(records));
    Path log = dir.resolve("dnsmasq.log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    // wait until it answers
    for (int i = 0; i < 100; i++) {
      if (!p.isAlive()) {
        p.waitFor();
        String out = Files.readString(log);
        if (out.contains("Address already in use")) {
          throw new PortTaken("dnsmasq: port " + port + " taken: " + out);
        }
        throw new IOException("dnsmasq exited: " + out);
      }
      // dnsmasq logs "started" once its sockets are bound: only then is the port surely its own
      if (Files.readString(log).contains("started, version")) {
        try (var s = new java.net.Socket()) {
          s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 100);
          if (p.isAlive()) {
            return new Dnsmasq(port, p);
          }
        } catch (IOException e) {
          // not yet
        }
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new IOException("dnsmasq did not start");
  }

  public String address() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
