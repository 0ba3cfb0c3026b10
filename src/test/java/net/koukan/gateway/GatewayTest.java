package net.koukan.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.koukan.config.GatewayConfig;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.MessageBody;
import net.koukan.smtp.SessionInfo;
import net.koukan.smtp.SmtpServer;
import net.koukan.smtp.SmtpSession;
import net.koukan.storage.Database;
import net.koukan.testing.Ports;
import net.koukan.testing.RouterHarness;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A router and a gateway in the test JVM, driven by swaks: SMTP in → REST → router → Maildir, and
 * router → REST → gateway → SMTP out to a recording server (the quick start's flows).
 */
public class GatewayTest {
  @TempDir Path dir;
  RouterHarness router;
  GatewayService gateway;
  SmtpServer nextHop;
  final List<String> received = new CopyOnWriteArrayList<>();
  int mxPort;
  int msaPort;

  static final String ROUTER = """
      global: {mailer_daemon_mailbox: mailer-daemon@example.com}
      rest_listener: {addr: ["127.0.0.1", %PORT%], session_uri: "http://127.0.0.1:%PORT%"}
      rest_endpoint:
      - name: gateway
        endpoint: http://127.0.0.1:%GWREST%/senders/router/transactions
        sender: router
        tag: outbound
      sender:
      - name: ingress
        output_chain: local
        tag:
        - {name: smtp-mx, output_chain: mx_exploder, upstream_tag: smtp-mx-upstream}
        - {name: smtp-mx-upstream}
      - name: submission
        output_chain: out
        tag:
        - {name: smtp-msa, output_chain: msa_exploder, upstream_tag: smtp-msa-upstream}
        - {name: smtp-msa-upstream}
      endpoint:
      - name: local
        chain:
        - {filter: maildir, path: "%DIR%/mail", domains: [example.com]}
      - name: out
        chain:
        - filter: router
          destination: {endpoint: gateway, host_list: [{host: 127.0.0.1, port: %HOP%}]}
        - {filter: rest_output, rcpt_timeout: 10, data_timeout: 10}
      - name: mx_exploder
        chain:
        - filter: router
          dry_run: true
          policy: {name: address_list, domains: [example.com]}
          destination: {}
        - filter: router
        - {filter: exploder, msa: false}
      - name: msa_exploder
        chain:
        - {filter: exploder, msa: true}
      storage: {url: "%STORAGE%"}
      """;

  static final String GATEWAY = """
      rest_listener: {addr: ["127.0.0.1", %GWREST%], session_uri: "http://127.0.0.1:%GWREST%"}
      smtp_output:
        hosts:
          outbound: {ehlo_host: gw.example.com, tls: none}
      smtp_listener:
        services:
        - {addr: ["127.0.0.1", %MX%], endpoint: router-mx, sender: ingress, tag: smtp-mx}
        - addr: ["127.0.0.1", %MSA%]
          endpoint: router-msa
          sender: submission
          tag: smtp-msa
          require_auth: true
          auth_exempt_networks: ["127.0.0.1/32"]
      rest_output:
      - {name: router-mx, endpoint: "http://127.0.0.1:%PORT%/senders/ingress/transactions"}
      - {name: router-msa, endpoint: "http://127.0.0.1:%PORT%/senders/submission/transactions"}
      """;

  @BeforeEach
  void start() throws IOException {
    nextHop = new SmtpServer(ListenerConfig.builder(conn -> new Recorder()).hostname("hop.test").build());
    nextHop.start();
    int gwRest = Ports.free();
    mxPort = Ports.free();
    msaPort = Ports.free();
    router = new RouterHarness(Database.Dialect.SQLITE, dir,
        ROUTER.replace("%GWREST%", "" + gwRest).replace("%HOP%", "" + nextHop.port()), Clock.systemUTC());
    gateway = new GatewayService(GatewayConfig.parse(GATEWAY.replace("%GWREST%", "" + gwRest)
        .replace("%MX%", "" + mxPort).replace("%MSA%", "" + msaPort)
        .replace("%PORT%", "" + router.port), "gateway.yaml"), Clock.systemUTC(), null).start();
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (router != null) {
      router.close();
    }
    if (nextHop != null) {
      nextHop.close();
    }
  }

  /** Records what the next hop receives: "from rcpts\nbody". */
  final class Recorder implements SmtpSession {
    String from;
    final List<String> rcpts = new CopyOnWriteArrayList<>();

    @Override
    public Response mail(SessionInfo info, Mailbox m) {
      from = m.address();
      return new Response(250, "2.1.0 ok");
    }

    @Override
    public Response rcpt(Mailbox to) {
      rcpts.add(to.address());
      return new Response(250, "2.1.5 ok");
    }

    @Override
    public Response data(MessageBody body) {
      try (InputStream in = body.open()) {
        received.add(from + " " + rcpts + "\n" + new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        return new Response(451, "4.3.0 " + e.getMessage());
      }
      return new Response(250, "2.0.0 hop stored");
    }

    @Override
    public void reset() {
      rcpts.clear();
    }
  }

  public static String swaks(String... args) throws Exception {
    Path swaks = Path.of("/usr/bin/swaks");
    if (!Files.isExecutable(swaks)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("swaks is missing (CI=true)");
      }
      Assumptions.abort("swaks not installed");
    }
    List<String> cmd = new java.util.ArrayList<>(List.of(swaks.toString(), "--hide-informational"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return out;
  }

  @Test
  void smtpIngressToMaildir() throws Exception {
    String out = swaks("--server", "127.0.0.1:" + mxPort, "--from", "alice@peer.test",
        "--to", "bob@example.com", "--header", "Subject: mx test");
    assertThat(out).contains("<-  250 2.0.0 delivered to maildir");
    try (var files = Files.list(dir.resolve("mail/bob/new"))) {
      String msg = Files.readString(files.findFirst().orElseThrow());
      assertThat(msg).startsWith("Return-Path: <alice@peer.test>\nDelivered-To: bob@example.com\n")
          .contains("Subject: mx test");
    }
  }

  @Test
  void mxRefusesOtherDomainsAndNothingRelays() throws Exception {
    String out = swaks("--server", "127.0.0.1:" + mxPort, "--from", "spammer@peer.test",
        "--to", "victim@elsewhere.test");
    assertThat(out).contains("<** 550 5.1.1 mailbox does not exist");
    assertThat(received).isEmpty();
  }

  @Test
  void smtpSubmissionThroughTheRouterAndOutByTheGateway() throws Exception {
    String out = swaks("--server", "127.0.0.1:" + msaPort, "--from", "alice@example.com",
        "--to", "carol@remote.test,dave@remote.test", "--header", "Subject: out we go", "--pipeline");
    assertThat(out).contains("<-  250 2.0.0 hop stored (Exploder same response)");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    assertThat(received).allMatch(m -> m.startsWith("alice@example.com [") && m.contains("Subject: out we go"));
    assertThat(received).anyMatch(m -> m.contains("[carol@remote.test]"))
        .anyMatch(m -> m.contains("[dave@remote.test]"));
  }

  @Test
  void submissionDoesNotRelayForUnauthenticatedClientsOutsideTheExemptNetworks() throws Exception {
    // 127.0.0.2 is not in auth_exempt_networks (127.0.0.1/32): an outsider without AUTH
    String out = swaks("--server", "127.0.0.1:" + msaPort, "--local-interface", "127.0.0.2",
        "--from", "spammer@example.com", "--to", "victim@remote.test");
    assertThat(out).contains("<** 530 5.7.0 Authentication required");
    assertThat(received).isEmpty();
  }

  @Test
  void manyConcurrentSessionsAreAllDelivered() throws Exception {
    Path source = Path.of("/usr/sbin/smtp-source");
    if (!Files.isExecutable(source)) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("smtp-source is missing (CI=true)");
      }
      Assumptions.abort("smtp-source not installed");
    }
    int n = 200;
    Process p = new ProcessBuilder(source.toString(), "-s", "100", "-m", Integer.toString(n), "-l", "2048",
        "-f", "load@peer.test", "-t", "bob@example.com", "127.0.0.1:" + mxPort)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
      try (var files = Files.list(dir.resolve("mail/bob/new"))) {
        return files.count() == n;
      }
    });
  }

  @Test
  void restSubmissionOutByTheGateway() {
    var r = router.http.post("/senders/submission/transactions",
        "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"erin@remote.test\"}],"
            + " \"body\": {\"inline\": \"Subject: rest out\\r\\n\\r\\nhello\\r\\n\"}}");
    assertThat(r.status()).isEqualTo(201);
    var fin = router.http.pollFinal(r.id(), Duration.ofSeconds(20));
    assertThat(fin.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
    assertThat(fin.get("data_response").get("message").asText()).isEqualTo("2.0.0 hop stored");
    assertThat(received).containsExactly("alice@example.com [erin@remote.test]\nSubject: rest out\r\n\r\nhello\r\n");
  }

  // ------------------------------------------------------------------ DATA streamed to the router

  /** A line-oriented SMTP client on a raw socket, for sending DATA in pieces. */
  static final class Raw implements AutoCloseable {
    final java.net.Socket socket;
    final java.io.BufferedReader in;
    final java.io.OutputStream out;

    Raw(int port) throws IOException {
      socket = new java.net.Socket("127.0.0.1", port);
      socket.setSoTimeout(30_000);
      in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      out = socket.getOutputStream();
      reply();
    }

    /** The last line of the next reply. */
    String reply() throws IOException {
      String line;
      do {
        line = in.readLine();
        if (line == null) {
          throw new java.io.EOFException("connection closed");
        }
      } while (line.length() > 3 && line.charAt(3) == '-');
      return line;
    }

    String cmd(String c) throws IOException {
      send(c + "\r\n");
      return reply();
    }

    void send(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** The most bytes any body blob in the router's database holds so far, and whether it is finished. */
  long[] routerBlob() {
    return router.router.storage().database().read(c -> {
      try (var ps = c.prepareStatement("SELECT stored, length FROM blobs ORDER BY stored DESC LIMIT 1");
          var rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new long[] {0, -1};
        }
        long stored = rs.getLong(1);
        long length = rs.getLong(2);
        return new long[] {stored, rs.wasNull() ? -1 : length};
      }
    });
  }

  static String lines(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(String.format("line %06d of a message that arrives slowly, streamed to the router\r\n", i));
    }
    return b.toString();
  }

  @Test
  void dataStreamsToTheRouterAsItArrivesAndIsFinalOnlyAtTheEnd() throws Exception {
    String head = "From: a@peer.test\r\nSubject: streamed\r\n\r\n";
    String body = lines(4000); // ~300 KB: several 64 KiB pieces before the end
    try (Raw c = new Raw(mxPort)) {
      assertThat(c.cmd("EHLO client.test")).startsWith("250 ");
      assertThat(c.cmd("MAIL FROM:<a@peer.test>")).startsWith("250 ");
      assertThat(c.cmd("RCPT TO:<bob@example.com>")).startsWith("250 ");
      assertThat(c.cmd("DATA")).startsWith("354 ");
      c.send(head + body);
      // the router holds most of it before the client has ended the data, and it is not final
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> routerBlob()[0] >= 3 * 65536);
      assertThat(routerBlob()[1]).isEqualTo(-1);
      assertThat(mailFiles()).isEmpty();
      c.send(".\r\n");
      assertThat(c.reply()).startsWith("250 ");
      assertThat(c.cmd("QUIT")).startsWith("221 ");
    }
    List<Path> files = mailFiles();
    assertThat(files).hasSize(1);
    assertThat(Files.readString(files.get(0), StandardCharsets.ISO_8859_1))
        .endsWith((head + body).replace("\r\n", "\n"));
  }

  @Test
  void aMessageRefusedAtTheEndIsNeverFinalizedNorDelivered() throws Exception {
    try (Raw c = new Raw(mxPort)) {
      assertThat(c.cmd("EHLO client.test")).startsWith("250 ");
      assertThat(c.cmd("MAIL FROM:<a@peer.test>")).startsWith("250 ");
      assertThat(c.cmd("RCPT TO:<bob@example.com>")).startsWith("250 ");
      assertThat(c.cmd("DATA")).startsWith("354 ");
      c.send("Subject: smuggler\r\n\r\n" + lines(4000));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> routerBlob()[0] >= 3 * 65536);
      // bare LFs (a smuggling attempt: "\n.\r\n" is no end of data): refused at the real end
      c.send("\n.\r\nMAIL FROM:<x@evil.test>\nRCPT TO:<bob@example.com>\n\r\n.\r\n");
      assertThat(c.reply()).startsWith("554 5.5.2");
      // the connection goes on: a good message after it is delivered
      assertThat(c.cmd("MAIL FROM:<a@peer.test>")).startsWith("250 ");
      assertThat(c.cmd("RCPT TO:<bob@example.com>")).startsWith("250 ");
      assertThat(c.cmd("DATA")).startsWith("354 ");
      c.send("Subject: fine\r\n\r\nok\r\n.\r\n");
      assertThat(c.reply()).startsWith("250 ");
    }
    List<Path> files = mailFiles();
    assertThat(files).hasSize(1);
    assertThat(Files.readString(files.get(0))).contains("Subject: fine").doesNotContain("smuggler");
    // the refused body stays unfinished at the router, its transaction cancelled
    long unfinished = router.router.storage().database().read(c -> {
      try (var ps = c.prepareStatement("SELECT count(*) FROM blobs WHERE length IS NULL AND stored > 0");
          var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
    assertThat(unfinished).isEqualTo(1);
  }

  List<Path> mailFiles() throws IOException {
    Path d = dir.resolve("mail/bob/new");
    if (!Files.isDirectory(d)) {
      return List.of();
    }
    try (var l = Files.list(d)) {
      return l.toList();
    }
  }
}
