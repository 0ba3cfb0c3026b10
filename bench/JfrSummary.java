import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording of Koukan for bench/run's profiling notes (docs/performance.md):
 * CPU samples (jdk.CPUTimeSample when recorded, which sees native code such as SQLite too, else
 * jdk.ExecutionSample) by subsystem (inclusive), by our own methods (inclusive) and by leaf method
 * (self); time blocked on locks and parks by the first net.koukan frame; and counts of a few
 * events. Usage: {@code java bench/JfrSummary.java FILE.jfr [MESSAGES]}.
 */
public final class JfrSummary {
  static final String SCHEDULING = "virtual thread scheduling";

  /** Subsystems by frame prefix, first match from the leaf wins for "self", any match for inclusive. */
  static final String[][] SUBSYSTEMS = {
    {"org.sqlite.", "SQLite (JDBC + native)"},
    {"org.postgresql.", "PostgreSQL JDBC"},
    {"com.zaxxer.hikari.", "HikariCP"},
    {"com.fasterxml.jackson.", "Jackson"},
    {"io.helidon.", "Helidon HTTP server"},
    {"jdk.internal.net.http.", "JDK HttpClient"},
    {"java.net.http.", "JDK HttpClient"},
    {"org.apache.james.mime4j.", "mime4j"},
    {"ch.qos.logback.", "logging"},
    {"org.slf4j.", "logging"},
    {"net.koukan.storage.", "koukan storage"},
    {"net.koukan.rest.", "koukan rest (server side)"},
    {"net.koukan.restout.", "koukan restout (REST client side)"},
    {"net.koukan.gateway.", "koukan gateway bridge"},
    {"net.koukan.smtp.", "koukan SMTP server"},
    {"net.koukan.smtpclient.", "koukan SMTP client (smtp_output)"},
    {"net.koukan.delivery.", "koukan delivery (OutputHandler, exploder)"},
    {"net.koukan.filter.", "koukan filter chain"},
    {"net.koukan.tx.", "koukan tx model / JSON"},
    {"sun.nio.ch.", "JDK sockets / NIO"},
    {"java.lang.VirtualThread", SCHEDULING},
    {"jdk.internal.vm.Continuation", SCHEDULING},
    {"java.util.concurrent.ForkJoin", SCHEDULING},
  };

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    long messages = args.length > 1 ? Long.parseLong(args[1]) : 0;
    List<RecordedEvent> cpu = new ArrayList<>();
    List<RecordedEvent> exec = new ArrayList<>();
    Map<String, Long> counts = new HashMap<>();
    Map<String, Duration> blocked = new HashMap<>();
    Map<String, Long> blockedN = new HashMap<>();
    Map<String, Long> alloc = new HashMap<>();
    try (RecordingFile rf = new RecordingFile(file)) {
      while (rf.hasMoreEvents()) {
        RecordedEvent e = rf.readEvent();
        String name = e.getEventType().getName();
        counts.merge(name, 1L, Long::sum);
        switch (name) {
          case "jdk.CPUTimeSample" -> cpu.add(e);
          case "jdk.ExecutionSample" -> exec.add(e);
          case "jdk.JavaMonitorEnter", "jdk.ThreadPark", "jdk.VirtualThreadPinned" -> {
            String site = name.substring(4) + " @ " + firstOurs(e.getStackTrace());
            blocked.merge(site, e.getDuration(), Duration::plus);
            blockedN.merge(site, 1L, Long::sum);
          }
          case "jdk.ObjectAllocationSample" -> {
            String site = firstOurs(e.getStackTrace());
            alloc.merge(site, e.getLong("weight"), Long::sum);
          }
          default -> { }
        }
      }
    }
    List<RecordedEvent> samples = cpu.isEmpty() ? exec : cpu;
    System.out.printf("%s: %d %s samples%s%n", file.getFileName(), samples.size(),
        cpu.isEmpty() ? "jdk.ExecutionSample" : "jdk.CPUTimeSample",
        messages > 0 ? ", " + messages + " messages" : "");
    Map<String, Long> inclusive = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> ours = new HashMap<>();
    Map<String, Long> leaf = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> dbBy = new HashMap<>();
    for (RecordedEvent e : samples) {
      RecordedStackTrace st = e.getStackTrace();
      if (st == null) {
        continue;
      }
      RecordedFrame top = st.getFrames().isEmpty() ? null : st.getFrames().get(0);
      leaf.merge(top == null ? "?" : method(top), 1L, Long::sum);
      Set<String> seen = new HashSet<>();
      Set<String> seenOurs = new HashSet<>();
      String selfSub = null;
      for (RecordedFrame f : st.getFrames()) {
        String m = method(f);
        String sub = subsystem(m);
        if (sub != null) {
          if (selfSub == null) {
            selfSub = sub;
          }
          // every virtual thread's stack ends in the scheduler's frames: count those only as self
          if (!sub.equals(SCHEDULING) && seen.add(sub)) {
            inclusive.merge(sub, 1L, Long::sum);
          }
        }
        if (m.startsWith("net.koukan.") && seenOurs.add(m)) {
          ours.merge(m, 1L, Long::sum);
        }
      }
      self.merge(selfSub == null ? "other (JDK, GC-free Java code)" : selfSub, 1L, Long::sum);
      if (seen.contains("SQLite (JDBC + native)") || seen.contains("PostgreSQL JDBC")) {
        // database time by the Storage operation and the first caller outside storage
        String op = null;
        String caller = null;
        for (RecordedFrame f : st.getFrames()) {
          String m = method(f);
          if (op == null && m.startsWith("net.koukan.storage.Storage.") && !m.contains("lambda$")) {
            op = m.substring("net.koukan.storage.".length());
          } else if (op != null && m.startsWith("net.koukan.") && !m.startsWith("net.koukan.storage.")) {
            caller = m.substring("net.koukan.".length());
            break;
          }
        }
        dbBy.merge((op == null ? "?" : op) + "  <-  " + (caller == null ? "?" : caller), 1L, Long::sum);
      }
      String t = "?";
      for (String field : List.of("sampledThread", "eventThread")) {
        if (e.hasField(field) && e.getThread(field) != null) {
          t = e.getThread(field).getJavaName();
          break;
        }
      }
      threads.merge(t == null || t.isEmpty() ? "(virtual)" : t.replaceAll("[0-9]+", "N"), 1L, Long::sum);
    }
    double n = Math.max(1, samples.size());
    print("Subsystems, inclusive (a sample counts for every subsystem on its stack)", inclusive, n, 25);
    print("Subsystems, self (the subsystem nearest the leaf)", self, n, 25);
    print("Our methods, inclusive", ours, n, 40);
    print("Database time (SQLite/PostgreSQL JDBC on the stack) by Storage operation <- caller", dbBy, n, 25);
    print("Leaf methods (self)", leaf, n, 30);
    print("Threads (carrier/platform thread names, digits as N)", threads, n, 12);
    System.out.println("\nBlocked (JavaMonitorEnter / ThreadPark / VirtualThreadPinned above the recording threshold), by first net.koukan frame:");
    blocked.entrySet().stream().sorted((a, b) -> b.getValue().compareTo(a.getValue())).limit(20)
        .forEach(x -> System.out.printf("  %10.1f ms %7d x  %s%n", x.getValue().toNanos() / 1e6,
            blockedN.get(x.getKey()), x.getKey()));
    if (!alloc.isEmpty()) {
      long total = alloc.values().stream().mapToLong(Long::longValue).sum();
      System.out.printf("%nAllocation (jdk.ObjectAllocationSample weight), %.0f MB in all%s, by first net.koukan frame:%n",
          total / 1e6, messages > 0 ? String.format(" = %.1f KB/message", total / 1e3 / messages) : "");
      alloc.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(15)
          .forEach(x -> System.out.printf("  %8.1f MB %5.1f%%  %s%n", x.getValue() / 1e6, 100.0 * x.getValue() / total, x.getKey()));
    }
    System.out.println("\nEvent counts:");
    for (String k : List.of("jdk.FileForce", "jdk.SocketRead", "jdk.SocketWrite", "jdk.FileRead", "jdk.FileWrite",
        "jdk.GarbageCollection", "jdk.VirtualThreadPinned", "jdk.JavaMonitorEnter", "jdk.ThreadPark")) {
      if (counts.containsKey(k)) {
        System.out.printf("  %-26s %8d%s%n", k, counts.get(k),
            messages > 0 ? String.format("  (%.2f per message)", counts.get(k) / (double) messages) : "");
      }
    }
  }

  static void print(String title, Map<String, Long> m, double n, int limit) {
    System.out.println("\n" + title + ":");
    Map<String, Long> sorted = new LinkedHashMap<>();
    m.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(limit)
        .forEach(x -> sorted.put(x.getKey(), x.getValue()));
    sorted.forEach((k, v) -> System.out.printf("  %5.1f%% %7d  %s%n", 100.0 * v / n, v, k));
  }

  static String method(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  static String subsystem(String m) {
    for (String[] s : SUBSYSTEMS) {
      if (m.startsWith(s[0])) {
        return s[1];
      }
    }
    return null;
  }

  static String firstOurs(RecordedStackTrace st) {
    if (st == null) {
      return "?";
    }
    String first = null;
    for (RecordedFrame f : st.getFrames()) {
      String m = method(f);
      if (first == null) {
        first = m;
      }
      if (m.startsWith("net.koukan.")) {
        return m + ":" + f.getLineNumber();
      }
    }
    return first == null ? "?" : "(no koukan frame) " + first;
  }
}
