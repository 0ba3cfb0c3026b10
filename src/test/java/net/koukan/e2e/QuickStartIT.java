package net.koukan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.koukan.gateway.GatewayTest;
import net.koukan.testing.Dnsmasq;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterProcess;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference's quick start with our programs: {@code config/local-test} (free ports instead of
 * 8000/8001/8002/3025/1025/1587/1465, remote_host and dns_resolution asking a dnsmasq on loopback), the
 * real router and gateway processes, {@code ./koukan sink} and {@code ./koukan receiver}, and the
 * four flows: SMTP ingress → SMTP sink, SMTP ingress → REST receiver, SMTP submission → sink,
 * REST submission → sink. The ingress chain's add_route also copies every ingress message to the
 * receiver (the "system of record").
 */
class QuickStartIT {
  @TempDir Path dir;
  final List<RouterProcess> processes = new ArrayList<>();
  Dnsmasq dns;
  Map<String, Integer> port;

  @BeforeEach
  void start() throws Exception {
    // remote_host: dnsjava answers 127.0.0.1 ⇄ localhost from /etc/hosts, as the reference's
    // quick start expects (EHLO localhost); anything else it asks goes to this server, not to a
    // system resolver that may be unreachable here
    dns = Dnsmasq.start(dir, "--local=/test/", "--local=/localhost/", "--local=/0.0.127.in-addr.arpa/", "--log-queries",
        "--mx-host=elsewhere.test,mx.elsewhere.test,10", "--host-record=mx.elsewhere.test,192.0.2.25");
    port = Map.of("8000", Ports.free(), "8001", Ports.free(), "8002", Ports.free(), "3025", Ports.free(),
        "1025", Ports.free(), "1587", Ports.free(), "1465", Ports.free());
    Path cfg = Files.createDirectories(dir.resolve("config"));
    Path src = RouterProcess.repoRoot().resolve("config/local-test");
    String router = ports(Files.readString(src.resolve("router.yaml")))
        .replace("  - filter: remote_host\n", "  - filter: remote_host\n    resolver: " + dns.address() + "\n")
        .replace("  - filter: dns_resolution\n", "  - filter: dns_resolution\n    resolver: " + dns.address() + "\n");
    assertThat(router).contains("resolver: " + dns.address());
    Files.writeString(cfg.resolve("router.yaml"), router);
    Files.writeString(cfg.resolve("gateway.yaml"), ports(Files.readString(src.resolve("gateway.yaml"))));
    Files.copy(src.resolve("auth-secrets.json"), cfg.resolve("auth-secrets.json"));
    RouterProcess cert = RouterProcess.jar(dir, "self-signed-cert", "config/tls");
    assertThat(cert.awaitExit(Duration.ofSeconds(60))).as(cert.output()).isZero();

    RouterProcess r = start("router", "config/router.yaml");
    start("sink", Integer.toString(port.get("3025")), "--dir", "sink");
    start("receiver", "--listen", "127.0.0.1:" + port.get("8002"), "--dir", "inbox");
    r.awaitHealthy("http://127.0.0.1:" + port.get("8000"), Duration.ofSeconds(60));
    start("gateway", "config/gateway.yaml");
    for (String p : List.of("3025", "8002", "8001", "1025", "1587", "1465")) {
      awaitListening(port.get(p));
    }
  }

  /** Every quick-start port number in a config file, replaced by a free one. */
  String ports(String text) {
    for (var e : port.entrySet()) {
      text = text.replaceAll("\\b" + e.getKey() + "\\b", Integer.toString(e.getValue()));
    }
    return text;
  }

  RouterProcess start(String... args) throws IOException {
    RouterProcess p = RouterProcess.jar(dir, args);
    processes.add(p);
    return p;
  }

  void awaitListening(int p) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      for (RouterProcess x : processes) {
        if (!x.process.isAlive()) {
          throw new AssertionError("a process exited:\n" + x.output());
        }
      }
      try (Socket s = new Socket("127.0.0.1", p)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  @AfterEach
  void stop() throws Exception {
    for (RouterProcess p : processes.reversed()) {
      p.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  /** The texts of the files named *suffix in a folder (none yet: empty). */
  List<String> files(String folder, String suffix) throws IOException {
    Path d = dir.resolve(folder);
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(f -> f.getFileName().toString().endsWith(suffix)).map(f -> {
        try {
          return Files.readString(f, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).toList();
    }
  }

  void awaitMessage(String folder, String suffix, String marker) {
    try {
      Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(
          () -> files(folder, suffix).stream().anyMatch(m -> m.contains(marker)));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      StringBuilder b = new StringBuilder("no '" + marker + "' in " + folder + "/*" + suffix);
      for (RouterProcess p : processes) {
        String out = p.output();
        b.append("\n--- ").append(p.process.info().arguments().map(a -> String.join(" ", a)).orElse("?"))
            .append(":\n").append(out.length() > 20000 ? out.substring(out.length() - 20000) : out);
      }
      throw new AssertionError(b.toString(), e);
    }
  }

  String swaks(int p, String from, String to, String subject) throws Exception {
    return GatewayTest.swaks("--server", "127.0.0.1:" + p, "--ehlo", "localhost",
        "--from", from, "--to", to, "--header", "Subject: " + subject);
  }

  /** swaks, which must get 250 for every command. */
  void swaksOk(int p, String from, String to, String subject) throws Exception {
    String out = swaks(p, from, to, subject);
    if (out.contains("<** ") || !out.contains("<-  221")) {
      throw new AssertionError(out + "\n--- dns:\n" + Files.readString(dir.resolve("dnsmasq.log"))
          + "\n--- router:\n" + processes.get(0).output());
    }
  }

  @Test
  void theFourFlows() throws Exception {

    // 1. SMTP ingress (MX) → router → gateway → SMTP sink; a copy to the system of record
    swaksOk(port.get("1025"), "alice@quickstart.test", "bob@example.com", "flow one");
    awaitMessage("sink", ".msg", "Subject: flow one");
    String atSink = files("sink", ".msg").stream().filter(m -> m.contains("flow one")).findFirst().orElseThrow();
    assertThat(atSink).contains("Received: from localhost (localhost [127.0.0.1])");
    awaitMessage("inbox", ".msg", "Subject: flow one"); // add_route sender sor → receiver

    // 2. SMTP ingress → router → REST receiver (parsed, with the original message)
    swaksOk(port.get("1025"), "alice@quickstart.test", "bob+app@rest-application.example.com", "flow two");
    awaitMessage("inbox", ".tx.json", "bob+app@rest-application.example.com");
    awaitMessage("inbox", ".msg", "Subject: flow two");

    // an unknown recipient at the MX is refused at RCPT
    String unknown = swaks(port.get("1025"), "alice@quickstart.test", "nobody@elsewhere.test", "never");
    assertThat(unknown).contains("<** 5");

    // 3. SMTP submission (loopback: no AUTH needed) → router → gateway → sink
    swaksOk(port.get("1587"), "alice@example.com", "carol@elsewhere.test", "flow three");
    awaitMessage("sink", ".msg", "Subject: flow three");

    // 4. REST submission with ./koukan send-rest → router → gateway → sink
    Path msg = dir.resolve("four.eml");
    Files.writeString(msg, "From: alice@example.com\r\nTo: dave@elsewhere.test\r\nSubject: flow four\r\n"
        + "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <four@example.com>\r\n\r\nhello\r\n");
    RouterProcess send = RouterProcess.jar(dir, "send-rest", "--router", "http://127.0.0.1:" + port.get("8000"),
        "--from", "alice@example.com", "--to", "dave@elsewhere.test", "--message", msg.toString());
    int code = send.awaitExit(Duration.ofSeconds(120));
    assertThat(code).as(send.output()).isZero();
    awaitMessage("sink", ".msg", "Subject: flow four");
  }
}
