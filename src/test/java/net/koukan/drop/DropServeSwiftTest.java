package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.koukan.drop.swift.SwiftAuth;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.filter.BlobSource;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stored-mode drop against a real OpenStack Swift (swift-saio.sh): swaks → our listener →
 * objects in cur/, the faults a real Swift can show on demand.
 */
class DropServeSwiftTest {
  @TempDir Path tmp;

  static String hex(String alg, byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(b));
  }

  @Test
  void swaksMessageIsStoredByteForByteWithItsEnvelopeBefore250() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    Path swaks = Path.of("/usr/bin/swaks");
    if (!Files.isExecutable(swaks)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("swaks is not installed; CI=true fails the run");
      }
      Assumptions.abort("swaks is not installed");
    }
    String container = swift.newContainer("inbox");
    // CRLF line endings, a line starting with a dot (swaks stuffs it, our server unstuffs it)
    byte[] msg = ("From: Sender <s@example.org>\r\nTo: a@example.com\r\nSubject: drop test\r\n"
        + "Message-ID: <1@example.org>\r\n\r\n.leading dot\r\n..two dots\r\nbody line\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    Path file = tmp.resolve("msg.eml");
    // swaks ends the data with CRLF "." CRLF after the file's last line: the file has no final CRLF
    Files.write(file, java.util.Arrays.copyOf(msg, msg.length - 2));
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(20),
        DropHarness.swiftSection("INBOX", swift.auth(), container, "a@example.com")), Clock.systemUTC())) {
      Process p = new ProcessBuilder(swaks.toString(), "--server", "127.0.0.1", "--port", Integer.toString(h.port()),
          "--from", "s@example.org", "--to", "A@Example.COM", "--helo", "client.example.org",
          "--data", "@" + file).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(out).contains("<-  250 2.0.0 Ok: stored INBOX:cur/");
      assertThat(p.exitValue()).as(out).isZero();

      List<String> names = swift.names(container, "cur/");
      assertThat(names).hasSize(1);
      String name = names.get(0);
      assertThat(name).matches("cur/\\d{10}\\.M\\d{6}R[0-9a-f]{16}\\.drop\\.test,S=" + msg.length);
      assertThat(out).contains(name);
      SwiftClient c = swift.client();
      assertThat(c.get(container, name).body()).isEqualTo(msg);
      SwiftClient.Response head = c.head(container, name);
      assertThat(head.header("Content-Type")).isEqualTo("message/rfc822");
      assertThat(head.header("Etag")).isEqualTo(hex("MD5", msg));
      assertThat(head.header("X-Object-Meta-Mail-From")).isEqualTo("s@example.org");
      assertThat(head.header("X-Object-Meta-Rcpt-To")).isEqualTo("a@example.com");
      assertThat(head.header("X-Object-Meta-Client-Ip")).isEqualTo("127.0.0.1");
      assertThat(head.header("X-Object-Meta-Helo")).isEqualTo("client.example.org");
      assertThat(head.header("X-Object-Meta-Tls")).isEqualTo("false");
      assertThat(head.header("X-Object-Meta-Sha256")).isEqualTo(hex("SHA-256", msg));
      assertThat(Instant.parse(head.header("X-Object-Meta-Received-At"))).isBefore(Instant.now().plusSeconds(1));
    }
  }

  @Test
  void recipientsGoToTheirSectionsContainerWithOnlyTheirAddresses() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String acc = swift.newContainer("acceptance");
    String prod = swift.newContainer("production");
    byte[] msg = "Subject: two sections\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(20),
        DropHarness.swiftSection("DEFAULT", swift.auth(), acc, "whatever@example.com", "other@example.com"),
        DropHarness.swiftSection("PRODUCTION", swift.auth(), prod, "swiftdrop@example.com")), Clock.systemUTC())) {
      String r = DropHarness.send(h.port(), "s@example.org",
          List.of("whatever@example.com", "swiftdrop@example.com", "other@example.com"), msg);
      assertThat(r).startsWith("250 2.0.0 Ok: stored DEFAULT:cur/").contains("PRODUCTION:cur/");
      assertThat(DropHarness.send(h.port(), "s@example.org", List.of("nobody@example.com"), msg))
          .startsWith("550 5.1.1");
    }
    List<String> a = swift.names(acc, "cur/");
    List<String> p = swift.names(prod, "cur/");
    assertThat(a).hasSize(1);
    assertThat(p).hasSize(1);
    SwiftClient c = swift.client();
    assertThat(c.head(acc, a.get(0)).header("X-Object-Meta-Rcpt-To")).isEqualTo("whatever@example.com,other@example.com");
    assertThat(c.head(prod, p.get(0)).header("X-Object-Meta-Rcpt-To")).isEqualTo("swiftdrop@example.com");
  }

  @Test
  void twoMessagesInTheSameMicrosecondNeverOverwrite() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String container = swift.newContainer("same-usec");
    Clock frozen = Clock.fixed(Instant.parse("2026-11-22T10:00:00.123456Z"), ZoneOffset.UTC);
    // two generators that produce the very same names: the second PUT gets 412 and takes a new name
    ObjectNames n1 = new ObjectNames("drop.test", 42);
    ObjectNames n2 = new ObjectNames("drop.test", 42);
    SwiftClient client = swift.client();
    SwiftDestination d1 = new SwiftDestination("A", client, container, "message/rfc822", null, n1, Clock.systemUTC());
    SwiftDestination d2 = new SwiftDestination("A", client, container, "message/rfc822", null, n2, Clock.systemUTC());
    byte[] m1 = "Subject: one\r\n\r\n1\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] m2 = "Subject: two\r\n\r\n2\r\n".getBytes(StandardCharsets.US_ASCII);
    StoreResult r1 = d1.store(receipt(m1, frozen.instant()), BlobSource.of(m1), Instant.now().plusSeconds(20));
    StoreResult r2 = d2.store(receipt(m2, frozen.instant()), BlobSource.of(m2), Instant.now().plusSeconds(20));
    assertThat(r1).isInstanceOf(StoreResult.Stored.class);
    assertThat(r2).isInstanceOf(StoreResult.Stored.class);
    String o1 = ((StoreResult.Stored) r1).objectName();
    String o2 = ((StoreResult.Stored) r2).objectName();
    assertThat(o1).isNotEqualTo(o2).contains(".M123456R");
    assertThat(o2).contains(".M123456R");
    assertThat(client.get(container, o1).body()).isEqualTo(m1);
    assertThat(client.get(container, o2).body()).isEqualTo(m2);

    // and through SMTP: many messages at one frozen instant, concurrently
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(20),
        DropHarness.swiftSection("A", swift.auth(), container, "a@example.com")), frozen)) {
      ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
      List<Future<String>> f = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        byte[] m = ("Subject: n" + i + "\r\n\r\nx\r\n").getBytes(StandardCharsets.US_ASCII);
        Callable<String> task = () -> DropHarness.send(h.port(), "s@example.org", List.of("a@example.com"), m);
        f.add(pool.submit(task));
      }
      for (Future<String> x : f) {
        assertThat(x.get(120, TimeUnit.SECONDS)).startsWith("250 ");
      }
      pool.shutdown();
    }
    List<String> names = swift.names(container, "cur/");
    assertThat(names).hasSize(8).doesNotHaveDuplicates();
    assertThat(names).allMatch(n -> n.startsWith("cur/1795341600.M123456R"));
  }

  static Receipt receipt(byte[] m, Instant at) throws Exception {
    Receipt.Digest d = Receipt.digest(BlobSource.of(m));
    return new Receipt("s@example.org", List.of("a@example.com"), "127.0.0.1", "h", false, null, at,
        d.size(), d.md5(), d.sha256());
  }

  @Test
  void frozenObjectServerGets451AndNothingIsAcknowledged() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    long pid = swift.pid("object-server");
    Assumptions.assumeTrue(pid > 0, "needs a SAIO started by the test (its object-server PID)");
    String container = swift.newContainer("frozen");
    byte[] msg = "Subject: frozen\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(6),
        DropHarness.swiftSection("A", swift.auth(), container, "a@example.com")), Clock.systemUTC())) {
      SwiftSaio.signal(pid, "STOP");
      String r;
      try {
        r = DropHarness.send(h.port(), "s@example.org", List.of("a@example.com"), msg);
      } finally {
        SwiftSaio.signal(pid, "CONT");
      }
      assertThat(r).startsWith("451 4.3.0");
      // recovered at once
      assertThat(DropHarness.send(h.port(), "s@example.org", List.of("a@example.com"), msg)).startsWith("250 ");
    }
  }

  @Test
  void wrongCredentialsRefuseToStartNamingEveryFailedContainer() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String good = swift.newContainer("good");
    SwiftAuth bad = new SwiftAuth.V1(swift.authUrl, swift.user, "wrong-key", null);
    DropService s = new DropService(DropHarness.config(Duration.ofSeconds(5),
        DropHarness.swiftSection("GOOD", swift.auth(), good, "g@example.com"),
        DropHarness.swiftSection("BADKEY", bad, "acceptance-x", "a@example.com"),
        DropHarness.swiftSection("MISSING", swift.auth(), "no-such-container-x", "m@example.com")), Clock.systemUTC());
    assertThatThrownBy(s::startupCheck).isInstanceOf(DropConfigException.class)
        .hasMessageContaining("2 of 3")
        .hasMessageContaining("section BADKEY: container acceptance-x")
        .hasMessageContaining("401")
        .hasMessageContaining("section MISSING: container no-such-container-x")
        .hasMessageContaining("404")
        .hasMessageNotContaining("GOOD");
  }

  @Test
  void containerDeletedAtRunTimeGets451() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String container = swift.newContainer("deleted");
    byte[] msg = "Subject: gone\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
    try (DropHarness h = new DropHarness(DropHarness.config(Duration.ofSeconds(10),
        DropHarness.swiftSection("A", swift.auth(), container, "a@example.com")), Clock.systemUTC())) {
      assertThat(swift.client().send("DELETE", container, null, null, Map.of(), 0, null, null).status())
          .isEqualTo(204);
      assertThat(DropHarness.send(h.port(), "s@example.org", List.of("a@example.com"), msg))
          .startsWith("451 4.3.0 container " + container + " does not exist");
    }
  }
}
