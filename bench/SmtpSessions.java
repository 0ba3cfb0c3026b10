import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bench/run's idle-session load: opens {@code --sessions} SMTP connections (at most
 * {@code --parallel} connecting at a time), reads each greeting and answers EHLO, holds them all
 * open for {@code --hold} seconds while sampling the server's RSS ({@code --pid}), then sends NOOP
 * on every one and counts the 250s, then QUIT. No dependencies beyond the JDK.
 *
 * <p>Prints one line: {@code opened=N open_failed=N open_seconds=S rss_before_mb=.. rss_open_mb=..
 * rss_max_mb=.. noop_ok=N noop_failed=N noop_seconds=S noop_p50_ms=.. noop_p99_ms=..}.
 */
public final class SmtpSessions {
  record Conn(Socket s, InputStream in, OutputStream out) {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String host = o.getOrDefault("host", "127.0.0.1");
    int port = Integer.parseInt(o.getOrDefault("port", "1025"));
    int sessions = Integer.parseInt(o.getOrDefault("sessions", "10000"));
    int parallel = Integer.parseInt(o.getOrDefault("parallel", "200"));
    double hold = Double.parseDouble(o.getOrDefault("hold", "5"));
    long pid = Long.parseLong(o.getOrDefault("pid", "0"));

    long rssBefore = rssKb(pid);
    ConcurrentLinkedQueue<Conn> open = new ConcurrentLinkedQueue<>();
    Map<String, Integer> errors = new ConcurrentHashMap<>();
    AtomicInteger failed = new AtomicInteger();
    Semaphore gate = new Semaphore(parallel);
    long t0 = System.nanoTime();
    List<Thread> threads = new ArrayList<>(sessions);
    for (int i = 0; i < sessions; i++) {
      gate.acquire();
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          Socket s = new Socket();
          s.setSoTimeout(60_000);
          s.connect(new InetSocketAddress(host, port), 30_000);
          Conn c = new Conn(s, new java.io.BufferedInputStream(s.getInputStream(), 1024), s.getOutputStream());
          expect(c, "220");
          c.out().write("EHLO bench.test\r\n".getBytes(StandardCharsets.US_ASCII));
          c.out().flush();
          expect(c, "250");
          open.add(c);
        } catch (Exception e) {
          failed.incrementAndGet();
          errors.merge(e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum);
        } finally {
          gate.release();
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    long rssOpen = rssKb(pid);
    long rssMax = rssOpen;
    long holdUntil = System.nanoTime() + (long) (hold * 1e9);
    while (System.nanoTime() < holdUntil) {
      Thread.sleep(200);
      rssMax = Math.max(rssMax, rssKb(pid));
    }

    // every session must still answer
    List<Conn> conns = new ArrayList<>(open);
    long[] lat = new long[conns.size()];
    AtomicInteger noopOk = new AtomicInteger();
    AtomicInteger noopFailed = new AtomicInteger();
    Semaphore g2 = new Semaphore(1000);
    threads.clear();
    long t1 = System.nanoTime();
    for (int i = 0; i < conns.size(); i++) {
      int idx = i;
      g2.acquire();
      threads.add(Thread.ofVirtual().start(() -> {
        Conn c = conns.get(idx);
        try {
          long s = System.nanoTime();
          c.out().write("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
          c.out().flush();
          expect(c, "250");
          lat[idx] = System.nanoTime() - s;
          noopOk.incrementAndGet();
        } catch (Exception e) {
          lat[idx] = Long.MAX_VALUE;
          noopFailed.incrementAndGet();
          errors.merge("NOOP " + e.getClass().getSimpleName() + ": " + e.getMessage(), 1, Integer::sum);
        } finally {
          g2.release();
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double noopSeconds = (System.nanoTime() - t1) / 1e9;
    rssMax = Math.max(rssMax, rssKb(pid));
    for (Conn c : conns) {
      try {
        c.out().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
        c.out().flush();
      } catch (IOException e) {
        // closing anyway
      }
    }
    for (Conn c : conns) {
      try {
        c.s().close();
      } catch (IOException e) {
        // nothing to do
      }
    }
    long[] sorted = Arrays.stream(lat).filter(l -> l != Long.MAX_VALUE).sorted().toArray();
    System.out.printf("opened=%d open_failed=%d open_seconds=%.1f rss_before_mb=%.0f rss_open_mb=%.0f"
            + " rss_max_mb=%.0f noop_ok=%d noop_failed=%d noop_seconds=%.2f noop_p50_ms=%.1f"
            + " noop_p99_ms=%.1f%n", conns.size(), failed.get(), openSeconds, rssBefore / 1024.0,
        rssOpen / 1024.0, rssMax / 1024.0, noopOk.get(), noopFailed.get(), noopSeconds,
        pct(sorted, 50), pct(sorted, 99));
    errors.forEach((k, v) -> System.out.println("error x" + v + ": " + k));
    System.exit(failed.get() == 0 && noopFailed.get() == 0 ? 0 : 1);
  }

  static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  /** Reads one (possibly multi-line) reply and checks its code. */
  static void expect(Conn c, String code) throws IOException {
    while (true) {
      String line = readLine(c.in());
      if (line == null) {
        throw new IOException("connection closed, expected " + code);
      }
      if (!line.startsWith(code)) {
        throw new IOException("expected " + code + ", got " + line);
      }
      if (line.length() < 4 || line.charAt(3) != '-') {
        return;
      }
    }
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int ch;
    while ((ch = in.read()) >= 0) {
      if (ch == '\n') {
        int n = b.length();
        if (n > 0 && b.charAt(n - 1) == '\r') {
          b.setLength(n - 1);
        }
        return b.toString();
      }
      b.append((char) ch);
    }
    return b.isEmpty() ? null : b.toString();
  }

  static long rssKb(long pid) {
    if (pid <= 0) {
      return 0;
    }
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
