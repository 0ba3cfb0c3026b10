import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/run's REST load generator: {@code --count} submissions, {@code --concurrency} clients at
 * once, each one {@code POST /senders/<sender>/transactions} with the message inline in the JSON
 * (one recipient), timed until its {@code 201}. No dependencies beyond the JDK.
 *
 * <p>Each client is a virtual thread with its own keep-alive HTTP/1.1 connection, written and
 * read with plain blocking sockets: the JDK's HttpClient funnels every connection through one
 * selector thread and, on this 2-core machine, cost the generator more CPU than the server it
 * was measuring.
 *
 * <p>Prints one line: {@code accepted=N failed=N seconds=S accepted_per_s=X p50_ms=.. p90_ms=..
 * p99_ms=.. max_ms=..} and, on failures, the statuses seen.
 */
public final class RestLoad {
  public static void main(String[] args) throws Exception {
    Map<String, String> o = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String url = o.getOrDefault("url", "http://127.0.0.1:8000/senders/submission/transactions");
    int count = Integer.parseInt(o.getOrDefault("count", "1000"));
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "50"));
    int size = Integer.parseInt(o.getOrDefault("size", "1024"));
    String from = o.getOrDefault("from", "bench@example.test");
    String rcpt = o.getOrDefault("rcpt", "rcpt@dest.example");
    String tag = o.getOrDefault("tag", "rest");

    URI uri = URI.create(url);
    InetSocketAddress addr = new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort());
    String head = "POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + addr.getPort()
        + "\r\nContent-Type: application/json\r\nContent-Length: ";
    long[] latencies = new long[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    CountDownLatch finished = new CountDownLatch(concurrency);
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      Thread.ofVirtual().start(() -> {
        Connection conn = null;
        try {
          int n;
          while ((n = next.getAndIncrement()) < count) {
            byte[] json = request(from, rcpt, tag, n, size);
            byte[] req = (head + json.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            long s = System.nanoTime();
            String outcome;
            try {
              if (conn == null) {
                conn = new Connection(addr);
              }
              Response r = conn.exchange(req, json);
              outcome = r.status() == 201 ? null : "HTTP " + r.status() + " " + excerpt(r.body());
              if (r.close()) {
                conn.close();
                conn = null;
              }
            } catch (IOException e) {
              outcome = e.getClass().getSimpleName() + ": " + e.getMessage();
              if (conn != null) {
                conn.close();
                conn = null;
              }
            }
            latencies[n] = System.nanoTime() - s;
            if (outcome == null) {
              accepted.incrementAndGet();
            } else {
              latencies[n] = -1;
              failures.merge(outcome, 1, Integer::sum);
            }
            done.incrementAndGet();
          }
        } finally {
          if (conn != null) {
            conn.close();
          }
          finished.countDown();
        }
      });
    }
    finished.await();
    double seconds = (System.nanoTime() - t0) / 1e9;
    long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
    System.out.printf("accepted=%d failed=%d seconds=%.2f accepted_per_s=%.1f p50_ms=%.2f p90_ms=%.2f"
            + " p99_ms=%.2f max_ms=%.2f%n", accepted.get(), count - accepted.get(), seconds,
        accepted.get() / seconds, pct(ok, 50), pct(ok, 90), pct(ok, 99),
        ok.length == 0 ? 0 : ok[ok.length - 1] / 1e6);
    failures.forEach((k, v) -> System.out.println("failure x" + v + ": " + k));
    System.exit(accepted.get() == count ? 0 : 1);
  }

  record Response(int status, String body, boolean close) {}

  /** One keep-alive HTTP/1.1 connection: a request, then its whole response (Content-Length). */
  static final class Connection {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Connection(InetSocketAddress addr) throws IOException {
      socket = new Socket();
      socket.setTcpNoDelay(true);
      socket.connect(addr, 10_000);
      socket.setSoTimeout(120_000);
      in = new BufferedInputStream(socket.getInputStream(), 16384);
      out = socket.getOutputStream();
    }

    Response exchange(byte[] head, byte[] body) throws IOException {
      byte[] all = new byte[head.length + body.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      out.write(all);
      out.flush();
      String status = line();
      if (status == null || !status.startsWith("HTTP/1.1 ")) {
        throw new IOException("bad status line: " + status);
      }
      int code = Integer.parseInt(status.substring(9, 12));
      long length = -1;
      boolean close = false;
      boolean chunked = false;
      for (String h; (h = line()) != null && !h.isEmpty(); ) {
        int colon = h.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        switch (name) {
          case "content-length" -> length = Long.parseLong(value);
          case "connection" -> close = value.equalsIgnoreCase("close");
          case "transfer-encoding" -> chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
          default -> { }
        }
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      if (chunked) {
        for (String size; (size = line()) != null; ) {
          int n = Integer.parseInt(size.split(";")[0].trim(), 16);
          if (n == 0) {
            while ((size = line()) != null && !size.isEmpty()) { } // trailers
            break;
          }
          b.write(in.readNBytes(n));
          line();
        }
      } else if (length >= 0) {
        b.write(in.readNBytes((int) length));
      } else {
        b.write(in.readAllBytes());
        close = true;
      }
      return new Response(code, b.toString(StandardCharsets.UTF_8), close);
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      for (int c; (c = in.read()) >= 0; ) {
        if (c == '\n') {
          int len = sb.length();
          return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
        }
        sb.append((char) c);
      }
      return sb.isEmpty() ? null : sb.toString();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // done with it
      }
    }
  }

  static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  static String excerpt(String s) {
    s = s.replaceAll("\\s+", " ");
    return s.length() > 200 ? s.substring(0, 200) : s;
  }

  /** The create JSON with an RFC 5322 message of about {@code size} bytes inline. */
  static byte[] request(String from, String rcpt, String tag, int n, int size) {
    StringBuilder msg = new StringBuilder(size + 256);
    msg.append("From: ").append(from).append("\\r\\n")
        .append("To: ").append(rcpt).append("\\r\\n")
        .append("Subject: rest bench ").append(tag).append(' ').append(n).append("\\r\\n")
        .append("Message-ID: <rest-").append(tag).append('-').append(n).append("@bench.test>\\r\\n")
        .append("Date: Thu, 01 Jan 2026 00:00:00 +0000\\r\\n\\r\\n");
    String line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd";
    int body = 0;
    while (body < size) {
      msg.append(line).append("\\r\\n");
      body += line.length() + 2;
    }
    String json = "{\"mail_from\": {\"m\": \"" + from + "\"}, \"rcpt_to\": [{\"m\": \"" + rcpt
        + "\"}], \"body\": {\"inline\": \"" + msg + "\"}}";
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
