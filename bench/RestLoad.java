import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    URI uri = URI.create(url);
    long[] latencies = new long[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    Map<String, Integer> failures = new ConcurrentHashMap<>();
    CountDownLatch finished = new CountDownLatch(concurrency);
    long t0 = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      Thread.ofVirtual().start(() -> {
        try {
          int n;
          while ((n = next.getAndIncrement()) < count) {
            byte[] json = request(from, rcpt, tag, n, size);
            HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
            long s = System.nanoTime();
            String outcome;
            try {
              HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
              outcome = r.statusCode() == 201 ? null : "HTTP " + r.statusCode() + " " + excerpt(r.body());
            } catch (Exception e) {
              outcome = e.getClass().getSimpleName() + ": " + e.getMessage();
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
