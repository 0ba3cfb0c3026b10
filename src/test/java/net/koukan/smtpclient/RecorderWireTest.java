package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.deliver;
import static net.koukan.smtpclient.Fixtures.latin1;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.testing.Ports;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code smtp_output} puts on the wire, as seen by {@code recorder.py} (a separate Python
 * process that logs every command, which recv() completed it, and the raw DATA/BDAT bytes).
 */
class RecorderWireTest {
  @TempDir Path dir;
  final List<Peers.Recorder> peers = new ArrayList<>();

  Peers.Recorder recorder(String... options) throws Exception {
    Path d = Files.createDirectories(dir.resolve("peer" + peers.size()));
    Peers.Recorder r = Peers.recorder(d, options);
    peers.add(r);
    return r;
  }

  @AfterEach
  void stop() {
    peers.forEach(Peers.Peer::close);
  }

  // ------------------------------------------------------------------ PIPELINING

  @Test
  void pipeliningSendsMailRcptsAndDataInOneWrite() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--ext", "8BITMIME");
    FilterTx tx = deliver(options("{}", r.port), tx("a@example.com", "b@example.net", "tempfail@example.net",
        "c@example.net"), bytes(Fixtures.MESSAGE));

    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "2.1.0 ok"));
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "2.1.5 ok"),
        new Response(451, "4.2.0 simulated temporary failure"), new Response(250, "2.1.5 ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 queued as R1"));
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "RCPT TO:<tempfail@example.net>", "RCPT TO:<c@example.net>", "DATA", "QUIT");
    List<Integer> reads = r.reads();
    // MAIL, the three RCPTs and DATA arrived in one recv(), after the one with EHLO
    assertThat(reads.subList(1, 6)).containsOnly(reads.get(1));
    assertThat(reads.get(1)).isGreaterThan(reads.get(0));
    assertThat(latin1(r.data().getFirst())).isEqualTo(Fixtures.MESSAGE_STUFFED);
  }

  @Test
  void withoutPipeliningOneCommandAtATime() throws Exception {
    Peers.Recorder r = recorder("--ext", "8BITMIME");
    FilterTx tx = deliver(options("{}", r.port), tx("a@example.com", "b@example.net", "c@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(r.reads()).doesNotHaveDuplicates();
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>", "DATA", "QUIT");
  }

  @Test
  void pipeliningCanBeTurnedOff() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    deliver(options("{\"enable_pipelining\": false}", r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(r.reads()).doesNotHaveDuplicates();
  }

  /** Recipients and the body in later updates (cut-through): RCPTs pipelined together, then DATA. */
  @Test
  void laterUpdatesUseTheSameSession() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    FilterTx tx = tx("a@example.com");
    try (Chain chain = Fixtures.chain(options("{}", r.port))) {
      chain.update(tx, new Delta(true, List.of(), false));
      assertThat(tx.mailResponse().code()).isEqualTo(250);
      tx.addRcpt(Mailbox.of("b@example.net"));
      tx.addRcpt(Mailbox.of("permfail@example.net"));
      chain.update(tx, new Delta(false, List.of(0, 1), false));
      assertThat(tx.rcptResponses()).containsExactly(new Response(250, "2.1.5 ok"),
          new Response(550, "5.1.1 simulated unknown user"));
      tx.body(new Body.Raw(BlobSource.of(bytes(Fixtures.MESSAGE))));
      chain.update(tx, new Delta(false, List.of(), true));
      assertThat(tx.dataResponse().code()).isEqualTo(250);
    }
    assertThat(r.connections()).isEqualTo(1);
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "RCPT TO:<permfail@example.net>", "DATA", "QUIT");
    List<Integer> reads = r.reads();
    assertThat(reads.get(2)).isEqualTo(reads.get(3)).isGreaterThan(reads.get(1));
  }

  // ------------------------------------------------------------------ DATA

  @Test
  void dataIsDotStuffedAndEndsWithCrlfDot() throws Exception {
    String[][] cases = {
        {".first\r\nmid\r\n.\r\n..\r\nlast", "..first\r\nmid\r\n..\r\n...\r\nlast\r\n.\r\n"},  // no final CRLF
        {"ends with LF only\n", "ends with LF only\n\r\n.\r\n"},
        {"bare LF\n.dot and bare CR\r.dot\r\n", "bare LF\n..dot and bare CR\r..dot\r\n.\r\n"},
        {"", ".\r\n"},
        {"x\r\n", "x\r\n.\r\n"},
        {"\r\n.\r\n", "\r\n..\r\n.\r\n"}};
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    for (String[] c : cases) {
      FilterTx tx = deliver(options("{}", r.port), tx("a@example.com", "b@example.net"),
          c[0].getBytes(StandardCharsets.ISO_8859_1));
      assertThat(tx.dataResponse().code()).as(c[0]).isEqualTo(250);
    }
    List<String> got = r.data().stream().map(Fixtures::latin1).toList();
    assertThat(got).containsExactly(java.util.Arrays.stream(cases).map(c -> c[1]).toArray(String[]::new));
  }

  @Test
  void eightBitBytesGoAsTheyAre() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--ext", "8BITMIME");
    byte[] body = new byte[256];
    for (int i = 0; i < 256; i++) {
      body[i] = (byte) i;
    }
    FilterTx tx = deliver(options("{}", r.port), tx(new Mailbox("a@example.com",
        List.of(new EsmtpParam("BODY", "8BITMIME"))), "b@example.net"), body);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(r.commands()).contains("MAIL FROM:<a@example.com> BODY=8BITMIME");
    byte[] raw = r.data().getFirst();
    // 256 bytes: CR LF inside, then CRLF.CRLF: nothing changed but the ending (no dot after LF here)
    assertThat(java.util.Arrays.copyOf(raw, 256)).isEqualTo(body);
    assertThat(latin1(java.util.Arrays.copyOfRange(raw, 256, raw.length))).isEqualTo("\r\n.\r\n");
  }

  // ------------------------------------------------------------------ BDAT

  @Test
  void bdatChunksHaveExactSizesAndTheLastSaysLast() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--ext", "CHUNKING");
    String body = "0123456789abcdefghij.\r\n.xy"; // 26 bytes, no stuffing, no CRLF added
    FilterTx tx = deliver(options("{\"chunk_size\": 10}", r.port), tx("a@example.com", "b@example.net"),
        bytes(body));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 queued as R1"));
    List<JsonNode> chunks = r.events("bdat");
    assertThat(chunks).extracting(c -> c.get("size").asInt()).containsExactly(10, 10, 6);
    assertThat(chunks).extracting(c -> c.get("last").asBoolean()).containsExactly(false, false, true);
    assertThat(String.join("", chunks.stream().map(c -> c.get("raw").asText()).toList())).isEqualTo(body);
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "BDAT 10", "BDAT 10", "BDAT 6 LAST", "QUIT");
    assertThat(r.data()).isEmpty();
  }

  @Test
  void bdatExactMultipleAndEmptyBody() throws Exception {
    Peers.Recorder r = recorder("--ext", "CHUNKING");
    deliver(options("{\"chunk_size\": 10}", r.port), tx("a@example.com", "b@example.net"), bytes("x".repeat(20)));
    FilterTx empty = deliver(options("{\"chunk_size\": 10}", r.port), tx("a@example.com", "b@example.net"),
        new byte[0]);
    assertThat(empty.dataResponse().code()).isEqualTo(250);
    assertThat(r.commands()).filteredOn(c -> c.startsWith("BDAT")).containsExactly("BDAT 10", "BDAT 10 LAST",
        "BDAT 0 LAST");
  }

  @Test
  void bdatCanBeTurnedOff() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--ext", "CHUNKING");
    FilterTx tx = deliver(options("{\"enable_bdat\": false}", r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(r.events("bdat")).isEmpty();
    assertThat(latin1(r.data().getFirst())).isEqualTo(Fixtures.MESSAGE_STUFFED);
  }

  /** A large body streams in many BDAT chunks and arrives byte for byte. */
  @Test
  void largeBodyInChunks() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--ext", "CHUNKING");
    byte[] body = new byte[3 * 65536 + 17];
    new java.util.Random(7).nextBytes(body);
    FilterTx tx = deliver(options("{\"chunk_size\": 65536}", r.port), tx("a@example.com", "b@example.net"), body);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    StringBuilder got = new StringBuilder();
    r.events("bdat").forEach(c -> got.append(c.get("raw").asText()));
    assertThat(got.toString().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(body);
    assertThat(r.events("bdat")).extracting(c -> c.get("size").asInt()).containsExactly(65536, 65536, 65536, 17);
  }

  // ------------------------------------------------------------------ hosts

  @Test
  void aRefusedConnectionMovesOnToTheNextHost() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    int closed = Ports.free();
    FilterTx tx = deliver(options("{}", closed, r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    JsonNode tried = tx.filterOutput().path("smtp_output").path("tried");
    assertThat(tried.get(0).path("host").asText()).isEqualTo("127.0.0.1:" + closed);
    assertThat(tried.get(0).path("response").asText())
        .isEqualTo("451 4.4.1 smtp_output: connection to 127.0.0.1:" + closed + " failed: Connection refused");
    assertThat(tried.get(1).path("response").asText()).isEqualTo("250 2.1.0 ok");
  }

  @Test
  void theLastHostsAnswerIsTheMailResponse() throws Exception {
    Peers.Recorder busy = recorder("--greeting", "421 4.3.2 busy, come back later");
    Peers.Recorder refusing = recorder("--mail-reply", "452 4.3.1 queue full");
    FilterTx tx = deliver(options("{}", busy.port, refusing.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(452, "4.3.1 queue full"));
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(busy.commands()).containsExactly("QUIT");
    assertThat(refusing.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>", "QUIT");
  }

  @Test
  void aPermanentMailRefusalIsFinal() throws Exception {
    Peers.Recorder first = recorder("--ext", "PIPELINING", "--mail-reply", "550 5.7.1 relaying denied");
    Peers.Recorder second = recorder();
    FilterTx tx = deliver(options("{}", first.port, second.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(550, "5.7.1 relaying denied"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(second.connections()).isZero();
    // the pipelined RCPT and DATA were refused by the peer; no body was sent
    assertThat(first.commands()).containsExactly("EHLO client.koukan.test", "MAIL FROM:<a@example.com>",
        "RCPT TO:<b@example.net>", "DATA", "QUIT");
    assertThat(first.data()).isEmpty();
  }

  // ------------------------------------------------------------------ local decisions

  @Test
  void sizeOverThePeersLimitIsRefusedWithoutMail() throws Exception {
    Peers.Recorder small = recorder("--ext", "PIPELINING", "--ext", "SIZE 100");
    FilterTx tx = deliver(options("{}", small.port), tx("a@example.com", "b@example.net"), new byte[200]);
    assertThat(tx.mailResponse()).isEqualTo(new Response(552,
        "5.3.4 smtp_output: message size 200 exceeds the limit of 127.0.0.1:" + small.port + " (100)"));
    assertThat(small.commands()).containsExactly("EHLO client.koukan.test", "QUIT");

    Peers.Recorder big = recorder("--ext", "SIZE 1000");
    FilterTx ok = deliver(options("{}", big.port), tx(new Mailbox("a@example.com",
        List.of(new EsmtpParam("SIZE", "150"))), "b@example.net"), new byte[200]);
    assertThat(ok.dataResponse().code()).isEqualTo(250);
    assertThat(big.commands()).contains("MAIL FROM:<a@example.com> SIZE=200");
  }

  @Test
  void smtpUtf8IsCheckedLocally() throws Exception {
    Peers.Recorder ascii = recorder("--ext", "8BITMIME");
    FilterTx tx = deliver(options("{}", ascii.port), tx("jösé@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(553,
        "5.6.7 smtp_output: 127.0.0.1:" + ascii.port + " does not support SMTPUTF8"));
    FilterTx rcpt = deliver(options("{}", ascii.port), tx("a@example.com", "bö@example.net", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(rcpt.rcptResponse(0).code()).isEqualTo(553);
    assertThat(rcpt.rcptResponse(1).code()).isEqualTo(250);
    assertThat(rcpt.dataResponse().code()).isEqualTo(250);
    assertThat(ascii.commands()).containsExactly("EHLO client.koukan.test", "QUIT",
        "EHLO client.koukan.test", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "DATA", "QUIT");

    Peers.Recorder utf8 = recorder("--ext", "SMTPUTF8", "--ext", "PIPELINING");
    FilterTx u = deliver(options("{}", utf8.port), tx("jösé@example.com", "bö@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(u.dataResponse().code()).isEqualTo(250);
    assertThat(utf8.commands()).contains("MAIL FROM:<jösé@example.com> SMTPUTF8", "RCPT TO:<bö@example.net>");
  }

  @Test
  void eightBitMimeIsCheckedLocally() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    FilterTx tx = deliver(options("{}", r.port), tx(new Mailbox("a@example.com",
        List.of(new EsmtpParam("BODY", "8BITMIME"))), "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.mailResponse()).isEqualTo(new Response(554, "5.6.3 smtp_output: 127.0.0.1:" + r.port
        + " does not support 8BITMIME (BODY=8BITMIME); not downconverting"));
    assertThat(r.commands()).containsExactly("EHLO client.koukan.test", "QUIT");
  }

  @Test
  void aMessageBuilderBodyIsRefused() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING");
    FilterTx tx = tx("a@example.com", "b@example.net");
    tx.body(new Body.Builder(Fixtures.json("{\"text_body\": []}"), java.util.Map.of()));
    try (Chain chain = Fixtures.chain(options("{}", r.port))) {
      chain.update(tx, new Delta(true, List.of(0), true));
    }
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    assertThat(tx.dataResponse()).isEqualTo(
        new Response(554, "5.6.0 smtp_output: message_builder body must be rendered first"));
    assertThat(r.commands()).doesNotContain("DATA");
  }

  // ------------------------------------------------------------------ timeouts

  @Test
  void aPeerThatNeverAnswersMailTimesOut() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--hang", "MAIL");
    long t0 = System.nanoTime();
    FilterTx tx = deliver(options("{\"command_timeout\": 0.5}", r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(tx.mailResponse()).isEqualTo(new Response(451, "4.4.2 smtp_output: timeout after 500 ms"
        + " waiting for the MAIL reply from 127.0.0.1:" + r.port));
    assertThat(ms).isBetween(500L, 4000L);
  }

  @Test
  void aSilentGreetingTimesOutAndTheNextHostIsTried() throws Exception {
    Peers.Recorder silent = recorder("--hang", "CONNECT");
    Peers.Recorder good = recorder();
    FilterTx tx = deliver(options("{\"greeting_timeout\": 0.3}", silent.port, good.port),
        tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().path("smtp_output").path("tried").get(0).path("response").asText())
        .isEqualTo("451 4.4.2 smtp_output: timeout after 300 ms waiting for the greeting from 127.0.0.1:" + silent.port);
  }

  @Test
  void noAnswerAfterTheBodyTimesOut() throws Exception {
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--hang", "END");
    FilterTx tx = deliver(options("{\"data_timeout\": 0.4}", r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse()).isEqualTo(new Response(451, "4.4.2 smtp_output: timeout after 400 ms"
        + " waiting for the end of data reply from 127.0.0.1:" + r.port));
  }

  // ------------------------------------------------------------------ STARTTLS

  /**
   * STARTTLS against Python's ssl module (OpenSSL), an independent TLS stack, with {@code tls:
   * verify} and the peer's self-signed certificate (made by the openssl tool) as the CA.
   */
  @Test
  void startTlsWithOpenSslAndVerification() throws Exception {
    Peers.require(Peers.OPENSSL);
    Path key = dir.resolve("key.pem");
    Path cert = dir.resolve("cert.pem");
    Process p = new ProcessBuilder(Peers.OPENSSL.toString(), "req", "-x509", "-newkey", "ec",
        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(), "-out", cert.toString(),
        "-days", "2", "-subj", "/CN=recorder", "-addext", "subjectAltName=IP:127.0.0.1")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    Peers.Recorder r = recorder("--ext", "PIPELINING", "--tls-cert", cert.toString(), "--tls-key", key.toString());
    FilterTx tx = deliver(options("{\"tls\": \"verify\", \"tls_ca_file\": \"" + cert + "\"}", r.port),
        tx("a@example.com", "b@example.net"), bytes(Fixtures.MESSAGE));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().path("smtp_output").path("tls").asBoolean()).isTrue();
    // the recorder logs the close after our QUIT returned: wait for it
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
        .until(() -> !r.events("close").isEmpty());
    List<String> seq = r.events().stream().map(e -> e.path("ev").asText().equals("cmd")
        ? e.get("line").asText() : "<" + e.path("ev").asText() + ">").toList();
    assertThat(seq).containsExactly("<connect>", "EHLO client.koukan.test", "STARTTLS", "<tls>",
        "EHLO client.koukan.test", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.net>", "DATA", "<data>",
        "QUIT", "<close>");
    assertThat(latin1(r.data().getFirst())).isEqualTo(Fixtures.MESSAGE_STUFFED);

    // the same peer, verified against the JDK's trust store: refused, nothing sent in the clear
    FilterTx refused = deliver(options("{\"tls\": \"verify\"}", r.port), tx("a@example.com", "b@example.net"),
        bytes(Fixtures.MESSAGE));
    assertThat(refused.mailResponse().code()).isEqualTo(451);
    assertThat(refused.mailResponse().message()).startsWith("4.7.5 smtp_output: TLS with 127.0.0.1:" + r.port);
    assertThat(r.commands()).containsOnlyOnce("MAIL FROM:<a@example.com>");
  }

  // ------------------------------------------------------------------ LMTP

  @Test
  void lmtpDataResponseIsTheFirstAcceptedRecipientsReply() throws Exception {
    Peers.Recorder r = recorder("--lmtp", "--ext", "PIPELINING", "--ext", "CHUNKING");
    FilterTx tx = deliver(options("{\"protocol\": \"lmtp\"}", r.port),
        tx("a@example.com", "permfail@example.net", "bob@example.net", "datafail@example.net"), bytes("hi\r\n"));
    assertThat(tx.rcptResponses()).extracting(Response::code).containsExactly(550, 250, 250);
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 delivered to bob"));
    JsonNode lmtp = tx.filterOutput().path("smtp_output").path("lmtp_data");
    assertThat(lmtp).hasSize(2);
    assertThat(lmtp.get(0).path("rcpt").asInt()).isEqualTo(1);
    assertThat(lmtp.get(1).path("rcpt").asInt()).isEqualTo(2);
    assertThat(lmtp.get(1).path("code").asInt()).isEqualTo(452);
    assertThat(r.commands()).startsWith("LHLO client.koukan.test").contains("BDAT 4 LAST").endsWith("QUIT");

    FilterTx first = deliver(options("{\"protocol\": \"lmtp\", \"enable_bdat\": false}", r.port),
        tx("a@example.com", "datafail@example.net", "bob@example.net"), bytes("hi\r\n"));
    assertThat(first.dataResponse()).isEqualTo(new Response(452, "4.2.2 simulated mailbox full for datafail"));
    assertThat(r.commands()).endsWith("DATA", "QUIT");
  }
}
