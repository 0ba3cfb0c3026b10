package net.koukan.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.VersionWatch;
import net.koukan.testing.RouterProcess;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The router as users run it: a separate process from the packaged jar and the launcher. */
class RouterProcessIT {
  @TempDir Path dir;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  Path writeConfig(int port, Path db) throws IOException {
    Path cfg = dir.resolve("router.yaml");
    Files.writeString(cfg, """
        rest_listener:
          addr: ["127.0.0.1", %d]
          session_uri: http://127.0.0.1:%d
        sender:
        - name: submission
          output_chain: submission
          retry: output_chain
        endpoint:
        - name: submission
          chain:
          - filter: rest_output
            static_endpoint: http://127.0.0.1:1
        storage:
          url: jdbc:sqlite:%s
          session_refresh_interval: 1
        """.formatted(port, port, db));
    return cfg;
  }

  HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void everyAcknowledgedTransactionSurvivesSigkill() throws Exception {
    int port = freePort();
    String base = "http://127.0.0.1:" + port;
    Path db = dir.resolve("var/koukan.db");
    Path cfg = writeConfig(port, db);
    Map<String, byte[]> acked = new LinkedHashMap<>();
    try (RouterProcess router = RouterProcess.jar(dir, "router", cfg.toString())) {
      router.awaitHealthy(base, Duration.ofSeconds(60));
      for (int i = 0; i < 100; i++) {
        byte[] body = ("Subject: crash " + i + "\r\n\r\n" + "line\r\n".repeat(i * 37)).getBytes(StandardCharsets.UTF_8);
        String json;
        if (i % 2 == 0) { // inline body in the create request
          json = "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b" + i + "@x\"}], \"body\": {\"inline\": "
              + TxJson.MAPPER.writeValueAsString(new String(body, StandardCharsets.UTF_8)) + "}}";
        } else { // body PUT after create
          json = "{\"mail_from\": {\"m\": \"a@x\"}, \"rcpt_to\": [{\"m\": \"b" + i + "@x\"}]}";
        }
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base + "/senders/submission/transactions"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
        assertThat(r.statusCode()).isEqualTo(201);
        String loc = r.headers().firstValue("Location").orElseThrow();
        String id = loc.substring(loc.lastIndexOf('/') + 1);
        if (i % 2 == 1) {
          HttpResponse<byte[]> put = send(HttpRequest.newBuilder(URI.create(loc + "/body"))
              .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
          assertThat(put.statusCode()).isEqualTo(200);
        }
        acked.put(id, body);
      }
      router.kill(); // SIGKILL right after the last acknowledgement
      assertThat(router.process.isAlive()).isFalse();
    }
    // restart on the same file: everything acknowledged is there and intact
    try (RouterProcess router = RouterProcess.jar(dir, "router", cfg.toString())) {
      router.awaitHealthy(base, Duration.ofSeconds(60));
      for (String id : acked.keySet()) {
        HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base + "/transactions/" + id)));
        assertThat(r.statusCode()).as(id).isEqualTo(200);
        JsonNode j = TxJson.MAPPER.readTree(r.body());
        assertThat(j.at("/body/blob_status/finalized").asBoolean()).as(id).isTrue();
      }
    }
    try (Database d = Database.open("jdbc:sqlite:" + db, 2, null)) {
      Storage s = new Storage(d, java.time.Clock.systemUTC(), new VersionWatch(), 1 << 26);
      for (Map.Entry<String, byte[]> e : acked.entrySet()) {
        assertThat(s.readBlob(e.getKey(), Storage.BODY).orElseThrow()).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void configErrorNamesFileLineAndKey() throws Exception {
    Path cfg = dir.resolve("bad.yaml");
    Files.writeString(cfg, """
        rest_listener:
          addr: ["127.0.0.1", 8000]
          session_uri: http://127.0.0.1:8000
          sesion_uri: typo
        sender: []
        endpoint: []
        """);
    try (RouterProcess router = RouterProcess.jar(dir, "router", cfg.toString())) {
      int code = router.awaitExit(Duration.ofSeconds(60));
      assertThat(code).isEqualTo(2);
      assertThat(router.output()).contains("bad.yaml:4:").contains("sesion_uri");
    }
  }

  @Test
  void launcherServesTheLocalTestConfig() throws Exception {
    Path cfg = RouterProcess.repoRoot().resolve("config/local-test/router.yaml");
    try (ServerSocket probe = new ServerSocket(8000, 1, java.net.InetAddress.getLoopbackAddress())) {
      probe.getLocalPort(); // port 8000 must be free for this test
    }
    try (RouterProcess router = RouterProcess.launcher(dir, "router", cfg.toString())) {
      router.awaitHealthy("http://127.0.0.1:8000", Duration.ofSeconds(120));
      HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:8000/senders/submission/transactions"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"mail_from\": {\"m\": \"alice@example.com\"}, \"rcpt_to\": [{\"m\": \"bob@example.com\"}],"
                  + " \"body\": {\"inline\": \"Subject: hi\\r\\n\\r\\nhello\\r\\n\"}}")));
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
      assertThat(r.headers().firstValue("Location").orElseThrow()).startsWith("http://localhost:8000/transactions/");
      assertThat(Files.exists(dir.resolve("var"))).isTrue(); // SQLite under ./var of the working dir
    }
  }

  @Test
  void koukanRunDeliversExampleComIntoMaildir() throws Exception {
    try (ServerSocket probe = new ServerSocket(8000, 1, java.net.InetAddress.getLoopbackAddress())) {
      probe.getLocalPort(); // the embedded default listens on 8000
    }
    try (RouterProcess run = RouterProcess.launcher(dir, "run")) {
      run.awaitHealthy("http://127.0.0.1:8000", Duration.ofSeconds(120));
      // the SMTP listeners start right after the REST API: wait for the banner
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
          .until(() -> run.output().contains("REST API on http://127.0.0.1:8000"));
      net.koukan.testing.HttpTestClient http = new net.koukan.testing.HttpTestClient("http://127.0.0.1:8000");
      String msg = "From: Alice <alice@example.com>\\r\\nTo: bob@example.com\\r\\nSubject: hello Bob\\r\\n"
          + "Message-ID: <run1@example.com>\\r\\n\\r\\nHi Bob.\\r\\n";
      var r = http.post("/senders/submission/transactions", "{\"mail_from\": {\"m\": \"alice@example.com\"},"
          + " \"rcpt_to\": [{\"m\": \"bob@example.com\"}], \"body\": {\"inline\": \"" + msg + "\"}}");
      assertThat(r.status()).isEqualTo(201);
      JsonNode fin = http.pollFinal(r.id(), Duration.ofSeconds(30));
      assertThat(fin.get("final_attempt_reason").asText()).isEqualTo("upstream response success");
      List<Path> files;
      try (var l = Files.list(dir.resolve("var/mail/bob/new"))) {
        files = l.toList();
      }
      assertThat(files).hasSize(1);
      assertThat(Files.readString(files.get(0))).startsWith("Return-Path: <alice@example.com>\n"
          + "Delivered-To: bob@example.com\nReceived: ")
          .contains("\n\twith X-RESTMTP\n\tfor bob@example.com;\n\t")
          .endsWith("\nFrom: Alice <alice@example.com>\nTo: bob@example.com\n"
          + "Subject: hello Bob\nMessage-ID: <run1@example.com>\n\nHi Bob.\n");
      assertThat(run.output()).contains("REST API on http://127.0.0.1:8000")
          .contains("to Maildirs under var/mail/<local-part>/")
          .contains("SMTP on 127.0.0.1:1025").contains("SMTP on 127.0.0.1:1587");
      // SMTP: swaks to the MX port lands in the Maildir; EHLO shows the extensions
      String ehlo = net.koukan.gateway.GatewayTest.swaks("--server", "127.0.0.1:1025", "--quit-after", "EHLO");
      assertThat(ehlo).contains("PIPELINING").contains("CHUNKING").contains("SMTPUTF8").contains("8BITMIME")
          .contains("ENHANCEDSTATUSCODES").contains("SIZE").contains("STARTTLS");
      String sent = net.koukan.gateway.GatewayTest.swaks("--server", "127.0.0.1:1025", "--from", "zed@peer.test",
          "--to", "bob@example.com", "--header", "Subject: over smtp");
      assertThat(sent).contains("<-  250 2.0.0 delivered to maildir");
      try (var l = Files.list(dir.resolve("var/mail/bob/new"))) {
        assertThat(l.map(f -> {
          try {
            return Files.readString(f);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }).filter(m -> m.contains("Subject: over smtp")).count()).isEqualTo(1);
      }
      // no open relay: the MX refuses other domains
      assertThat(net.koukan.gateway.GatewayTest.swaks("--server", "127.0.0.1:1025", "--from", "x@peer.test",
          "--to", "y@elsewhere.test")).contains("<** 550");
    }
  }

  /** The default config with dkim_sign enabled, as its comments say, on a free port: signed and traced. */
  @Test
  void koukanRunWithDkimSignSignsAndTraces() throws Exception {
    RouterProcess keygen = RouterProcess.jar(dir, "dkim-keygen", "--algorithm", "ed25519", "--selector", "s1",
        "--domain", "example.com", "--out", "var/dkim");
    assertThat(keygen.awaitExit(Duration.ofSeconds(60))).as(keygen.output()).isZero();
    RouterProcess print = RouterProcess.jar(dir, "run", "--print-default-config");
    assertThat(print.awaitExit(Duration.ofSeconds(60))).isZero();
    String all = print.output();
    int start = all.indexOf("# The embedded default of `./koukan run`");
    int end = all.indexOf("gc_ttl: 86400", start);
    assertThat(start).as(all).isNotNegative();
    int port = net.koukan.testing.Ports.free();
    String cfg = all.substring(start, end + "gc_ttl: 86400".length()) + "\n";
    String signed = cfg.replace("  #- filter: dkim_sign\n  #  domain: example.com\n  #  selector: s1\n  #  key: var/dkim/s1.key",
        "  - filter: dkim_sign\n    domain: example.com\n    selector: s1\n    key: var/dkim/s1.key")
        .replace("8000", Integer.toString(port));
    assertThat(signed).contains("  - filter: dkim_sign").doesNotContain(":8000");
    Files.writeString(dir.resolve("router.yaml"), signed);
    try (RouterProcess run = RouterProcess.jar(dir, "run", "--config", "router.yaml", "--no-smtp")) {
      run.awaitHealthy("http://127.0.0.1:" + port, Duration.ofSeconds(120));
      var http = new net.koukan.testing.HttpTestClient("http://127.0.0.1:" + port);
      var r = http.post("/senders/submission/transactions", "{\"mail_from\": {\"m\": \"alice@example.com\"},"
          + " \"rcpt_to\": [{\"m\": \"carol@example.com\"}], \"body\": {\"inline\": \"From: alice@example.com\\r\\n"
          + "Subject: signed\\r\\nMessage-ID: <s1@example.com>\\r\\n\\r\\nhello\\r\\n\"}}");
      assertThat(r.status()).isEqualTo(201);
      JsonNode fin = http.pollFinal(r.id(), Duration.ofSeconds(30));
      assertThat(fin.get("final_attempt_reason").asText()).as(run.output()).isEqualTo("upstream response success");
      String msg;
      try (var l = Files.list(dir.resolve("var/mail/carol/new"))) {
        msg = Files.readString(l.findFirst().orElseThrow());
      }
      assertThat(msg).contains("\nReceived: ").contains("\nDKIM-Signature: v=1; a=ed25519-sha256;")
          .contains("d=example.com").contains("s=s1").endsWith("Subject: signed\nMessage-ID: <s1@example.com>\n\nhello\n");
      assertThat(msg.indexOf("DKIM-Signature")).isLessThan(msg.indexOf("Received: "));
    }
  }
}
