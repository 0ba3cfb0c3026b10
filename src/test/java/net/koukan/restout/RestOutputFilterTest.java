package net.koukan.restout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code rest_output} against a scripted upstream: one test per behaviour and failure mode. */
class RestOutputFilterTest {
  FakeUpstream up;
  Chain chain;

  @BeforeEach
  void start() throws IOException {
    up = new FakeUpstream();
  }

  @AfterEach
  void stop() {
    up.close();
  }

  // ------------------------------------------------------------------ helpers

  static ObjectNode json(String s) {
    try {
      return (ObjectNode) TxJson.MAPPER.readTree(s);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Options with the fake as endpoint and 5 s timeouts, then {@code extra} (a JSON object). */
  ObjectNode options(String extra) {
    ObjectNode o = json("{\"rcpt_timeout\": 5, \"data_timeout\": 5}");
    o.put("static_endpoint", up.endpoint());
    o.setAll(json(extra));
    return o;
  }

  static Chain chain(ObjectNode options) {
    return new Chain(List.of(new RestOutputFactory()
        .prepare(new FilterStanza("rest_output", options, "test.yaml", 1)).get()));
  }

  static FilterTx tx(String... rcpts) {
    FilterTx tx = new FilterTx("local1", "submission", null);
    tx.remoteHost(new HostPort("203.0.113.5", 41234));
    tx.localHost(new HostPort("192.0.2.1", 25));
    tx.smtpMeta(json("{\"ehlo_host\": \"mx.peer.net\", \"esmtp\": true}"));
    tx.upstream("router", "outbound");
    tx.mailFrom(new Mailbox("alice@example.com", List.of(new EsmtpParam("SIZE", "100"))));
    for (String r : rcpts) {
      tx.addRcpt(Mailbox.of(r));
    }
    return tx;
  }

  static byte[] message(int size) {
    byte[] b = new byte[size];
    byte[] head = "Subject: test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < size; i++) {
      b[i] = i < head.length ? head[i] : (byte) ('a' + i % 26);
    }
    return b;
  }

  static List<Integer> range(int n) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(i);
    }
    return l;
  }

  /** MAIL, every recipient and the body in one update, as a stored transaction delivers. */
  static Delta everything(FilterTx tx) {
    return new Delta(true, range(tx.rcptTo().size()), true);
  }

  void sendAll(ObjectNode options, FilterTx tx, byte[] body) {
    tx.body(new Body.Raw(BlobSource.of(body)));
    chain = chain(options);
    chain.update(tx, everything(tx));
    chain.close();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------ success

  @Test
  void everythingAccepted_oneCreateOnePutNoPatch() {
    FilterTx tx = tx("bob@example.com");
    tx.filterOutput().put("x", "not sent without send_filter_output");
    byte[] msg = message(100);
    sendAll(options("{}"), tx, msg);

    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "ok"));
    assertThat(tx.rcptResponses()).containsExactly(new Response(250, "ok"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(250, "2.0.0 queued"));

    FakeUpstream.Req post = up.requests("POST", "/senders/router/transactions").getFirst();
    assertThat(post.header("Content-Type")).isEqualTo("application/json");
    assertThat(post.header("request-timeout")).matches("[1-4]");
    assertThat(post.header("Expect")).isNull();
    assertThat(post.header("Upgrade")).isNull();
    assertThat(post.json()).isEqualTo(json("""
        {"remote_host": ["203.0.113.5", 41234], "local_host": ["192.0.2.1", 25],
         "mail_from": {"m": "alice@example.com", "e": [{"k": "SIZE", "p": "100"}]},
         "rcpt_to": [{"m": "bob@example.com"}],
         "smtp_meta": {"ehlo_host": "mx.peer.net", "esmtp": true},
         "sender": {"name": "router", "tag": "outbound"}}"""));
    for (FakeUpstream.Req get : up.requests("GET", "/transactions/t1")) {
      assertThat(get.header("If-None-Match")).matches("\\d+");
      assertThat(get.header("request-timeout")).matches("\\d+");
    }
    List<FakeUpstream.Req> puts = up.requests("PUT", "/transactions/t1/body");
    assertThat(puts).hasSize(1);
    assertThat(puts.getFirst().header("Content-Range")).isNull();
    assertThat(puts.getFirst().header("Content-Length")).isEqualTo("100");
    assertThat(puts.getFirst().body()).isEqualTo(msg);
    assertThat(up.onlyTx().body()).isEqualTo(msg);
    assertThat(up.requests("PATCH", "")).isEmpty();
    assertThat(up.requests("POST", "/cancel")).as("a finished upstream is not cancelled").isEmpty();
  }

  @Test
  void incrementalRecipientsArePatchedWithListOffset() {
    FilterTx tx = tx();
    chain = chain(options("{}"));
    chain.update(tx, new Delta(true, List.of(), false));
    assertThat(tx.mailResponse()).isEqualTo(new Response(250, "ok"));
    assertThat(up.requests("POST", "/senders/").getFirst().json().has("rcpt_to")).isFalse();

    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    tx.addRcpt(Mailbox.of("carol@example.com"));
    tx.addRcpt(Mailbox.of("dave@example.com"));
    chain.update(tx, new Delta(false, List.of(1, 2), false));
    assertThat(tx.rcptResponses()).containsOnly(new Response(250, "ok"));

    tx.body(new Body.Raw(BlobSource.of(message(50))));
    chain.update(tx, new Delta(false, List.of(), true));
    chain.close();
    assertThat(tx.dataResponse().code()).isEqualTo(250);

    List<FakeUpstream.Req> patches = up.requests("PATCH", "/transactions/t1");
    assertThat(patches).hasSize(2);
    assertThat(patches.get(0).header("Content-Type")).isEqualTo("application/json");
    assertThat(patches.get(0).header("If-Match")).matches("\\d+");
    assertThat(patches.get(0).json()).isEqualTo(json("{\"rcpt_to\": [{\"m\": \"bob@example.com\"}]}"));
    assertThat(patches.get(1).json()).isEqualTo(json("""
        {"rcpt_to": [{"m": "carol@example.com"}, {"m": "dave@example.com"}], "rcpt_to_list_offset": 1}"""));
    assertThat(up.onlyTx().rcpts).containsExactly("bob@example.com", "carol@example.com", "dave@example.com");
  }

  @Test
  void aConflictingPatchIsRetriedWithTheFreshETag() {
    FilterTx tx = tx();
    chain = chain(options("{}"));
    chain.update(tx, new Delta(true, List.of(), false));
    AtomicInteger patches = new AtomicInteger();
    up.interceptor = (head, ex) -> {
      if (head.method().equals("PATCH") && patches.incrementAndGet() == 1) {
        up.onlyTx().change(() -> { }); // the upstream writes something just before our PATCH
      }
      return false;
    };
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    chain.close();
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    List<FakeUpstream.Req> sent = up.requests("PATCH", "/transactions/t1");
    assertThat(sent).hasSize(2);
    assertThat(Long.parseLong(sent.get(1).header("If-Match")))
        .isGreaterThan(Long.parseLong(sent.get(0).header("If-Match")));
    assertThat(up.onlyTx().rcpts).containsExactly("bob@example.com");
  }

  @Test
  void filterOutputIsSentOnlyWithSendFilterOutput() {
    FilterTx tx = tx("bob@example.com");
    tx.options(json("{\"send_filter_output\": true}"));
    tx.filterOutput().set("spf", json("{\"result\": \"pass\"}"));
    chain = chain(options("{}"));
    chain.update(tx, new Delta(true, List.of(0), false));
    assertThat(up.requests("POST", "/senders/").getFirst().json().get("filter_output"))
        .isEqualTo(json("{\"spf\": {\"result\": \"pass\"}}"));
    // a signal added later goes up in a filter_output-only PATCH before the body
    tx.filterOutput().set("dkim", json("{\"result\": \"fail\"}"));
    tx.body(new Body.Raw(BlobSource.of(message(20))));
    chain.update(tx, new Delta(false, List.of(), true));
    chain.close();
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    List<FakeUpstream.Req> patches = up.requests("PATCH", "/transactions/t1");
    assertThat(patches).hasSize(1);
    assertThat(patches.getFirst().json()).isEqualTo(json(
        "{\"filter_output\": {\"spf\": {\"result\": \"pass\"}, \"dkim\": {\"result\": \"fail\"}}}"));
  }

  // ------------------------------------------------------------------ MAIL failures and hosts

  @Test
  void temporaryMailFailureTriesTheNextHost() {
    up.mail = j -> j.at("/remote_host/0").asText().equals("10.0.0.1")
        ? new Response(451, "4.4.1 first host busy") : FakeUpstream.OK;
    FilterTx tx = tx("bob@example.com");
    tx.resolution(List.of(new HostPort("10.0.0.1", 25), new HostPort("10.0.0.2", 25)));
    byte[] msg = message(64);
    sendAll(options("{}"), tx, msg);

    assertThat(tx.mailResponse()).isEqualTo(FakeUpstream.OK);
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    List<FakeUpstream.Req> posts = up.requests("POST", "/senders/");
    assertThat(posts).extracting(p -> p.json().get("remote_host").toString())
        .containsExactly("[\"10.0.0.1\",25]", "[\"10.0.0.2\",25]");
    assertThat(up.tx(1).body()).isEmpty();
    assertThat(up.tx(2).body()).isEqualTo(msg);
    assertThat(up.tx(1).cancelled).as("the abandoned upstream transaction is cancelled").isTrue();
  }

  @Test
  void theLastHostsTemporaryFailureIsTheMailResponse() {
    up.mail = j -> j.at("/remote_host/0").asText().equals("10.0.0.1")
        ? new Response(451, "4.4.1 first busy") : new Response(452, "4.3.1 second full");
    FilterTx tx = tx("bob@example.com");
    tx.resolution(List.of(new HostPort("10.0.0.1", 25), new HostPort("10.0.0.2", 25)));
    sendAll(options("{}"), tx, message(10));

    assertThat(tx.mailResponse()).isEqualTo(new Response(452, "4.3.1 second full"));
    assertThat(tx.rcptResponses()).containsExactly(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(up.requests("POST", "/senders/")).hasSize(2);
    assertThat(up.requests("PUT", "")).isEmpty();
  }

  @Test
  void aPermanentMailFailureIsNotTriedElsewhere() {
    up.mail = j -> new Response(550, "5.7.1 go away");
    FilterTx tx = tx("bob@example.com");
    tx.resolution(List.of(new HostPort("10.0.0.1", 25), new HostPort("10.0.0.2", 25)));
    sendAll(options("{}"), tx, message(10));
    assertThat(tx.mailResponse()).isEqualTo(new Response(550, "5.7.1 go away"));
    assertThat(up.requests("POST", "/senders/")).hasSize(1);
  }

  @Test
  void noEndpointIsPermanent() {
    FilterTx tx = tx("bob@example.com");
    sendAll(json("{\"rcpt_timeout\": 5}"), tx, message(10));
    assertThat(tx.mailResponse()).isEqualTo(new Response(550, "5.3.0 rest_output: no endpoint"));
    assertThat(tx.rcptResponses()).containsExactly(new Response(503, "5.5.1 failed precondition: MAIL"));
  }

  @Test
  void theTransactionsEndpointIsUsedWithoutStaticEndpoint() {
    FilterTx tx = tx("bob@example.com");
    tx.restEndpoint(up.endpoint());
    sendAll(json("{\"rcpt_timeout\": 5}"), tx, message(10));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
  }

  @Test
  void connectionRefused() throws IOException {
    int port = freePort();
    String endpoint = "http://127.0.0.1:" + port + "/senders/router/transactions";
    FilterTx tx = tx("bob@example.com");
    tx.resolution(List.of(new HostPort("10.0.0.1", 25), new HostPort("10.0.0.2", 25)));
    long t0 = System.nanoTime();
    sendAll(json("{\"static_endpoint\": \"" + endpoint + "\"}"), tx, message(10));
    assertThat(tx.mailResponse()).isEqualTo(
        new Response(451, "4.4.1 rest_output: connection refused to " + endpoint));
    assertThat(tx.rcptResponses()).containsExactly(new Response(503, "5.5.1 failed precondition: MAIL"));
    assertThat(System.nanoTime() - t0).as("refused at once, not after a timeout").isLessThan(5_000_000_000L);
  }

  @Test
  void upstreamThatNeverAnswersMailTimesOut() {
    up.mail = j -> null;
    FilterTx tx = tx("bob@example.com");
    long t0 = System.nanoTime();
    sendAll(options("{\"rcpt_timeout\": 1}"), tx, message(10));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(tx.mailResponse()).isEqualTo(new Response(450, "4.4.7 rest_output: upstream timeout"));
    assertThat(ms).isBetween(1000L, 4000L);
    assertThat(up.onlyTx().cancelled).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"500 text", "201 no location", "201 no etag", "201 not json", "201 bad response"})
  void unusableCreateAnswersAreTemporaryFailures(String kind) {
    up.interceptor = (head, ex) -> {
      if (!head.method().equals("POST") || !head.path().startsWith("/senders/")) {
        return false;
      }
      ex.getRequestBody().readAllBytes();
      byte[] b = switch (kind) {
        case "201 not json" -> "<html>".getBytes(StandardCharsets.UTF_8);
        case "201 bad response" -> "{\"mail_response\": {\"code\": \"250\"}}".getBytes(StandardCharsets.UTF_8);
        default -> "{}".getBytes(StandardCharsets.UTF_8);
      };
      ex.getResponseHeaders().set("Content-Type", kind.equals("500 text") ? "text/plain" : "application/json");
      if (!kind.equals("201 no location")) {
        ex.getResponseHeaders().set("Location", "/transactions/zz");
      }
      if (!kind.equals("201 no etag")) {
        ex.getResponseHeaders().set("ETag", "1");
      }
      ex.sendResponseHeaders(kind.startsWith("500") ? 500 : 201, b.length);
      ex.getResponseBody().write(b);
      return true;
    };
    FilterTx tx = tx("bob@example.com");
    sendAll(options("{}"), tx, message(10));
    assertThat(tx.mailResponse().code()).isEqualTo(450);
    assertThat(tx.mailResponse().message()).startsWith("4.3.0 rest_output: ");
  }

  // ------------------------------------------------------------------ RCPT and DATA failures

  @Test
  void permanentRcptFailureKeepsTheOthers() {
    up.rcpt = a -> a.startsWith("bob") ? new Response(550, "5.1.1 no such user") : FakeUpstream.OK;
    FilterTx tx = tx("bob@example.com", "carol@example.com");
    sendAll(options("{}"), tx, message(10));
    assertThat(tx.rcptResponses()).containsExactly(new Response(550, "5.1.1 no such user"), FakeUpstream.OK);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
  }

  @Test
  void allRcptsFailedSendsNoBody() {
    up.rcpt = a -> new Response(550, "5.1.1 no such user");
    FilterTx tx = tx("bob@example.com");
    sendAll(options("{}"), tx, message(10));
    assertThat(tx.rcptResponses()).containsExactly(new Response(550, "5.1.1 no such user"));
    assertThat(tx.dataResponse()).isEqualTo(new Response(503, "5.5.1 failed precondition: all rcpts failed"));
    assertThat(up.requests("PUT", "")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {451, 554})
  void dataFailureIsPassedBack(int code) {
    Response r = new Response(code, (code / 100) + ".6.0 content rejected");
    up.data = () -> r;
    FilterTx tx = tx("bob@example.com");
    sendAll(options("{}"), tx, message(10));
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    assertThat(tx.dataResponse()).isEqualTo(r);
  }

  @Test
  void upstreamThatNeverAnswersDataTimesOutAndIsCancelled() {
    up.data = () -> null;
    FilterTx tx = tx("bob@example.com");
    long t0 = System.nanoTime();
    sendAll(options("{\"data_timeout\": 1}"), tx, message(10));
    assertThat(tx.dataResponse()).isEqualTo(new Response(450, "4.4.7 rest_output: upstream timeout"));
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(1000L, 4000L);
    assertThat(up.requests("POST", "/transactions/t1/cancel")).hasSize(1);
  }

  @Test
  void upstreamVanishingMidBody() {
    up.interceptor = (head, ex) -> {
      if (head.method().equals("PUT")) {
        ex.getRequestBody().readNBytes(1000);
        throw new IOException("upstream vanishes");
      }
      return false;
    };
    FilterTx tx = tx("bob@example.com");
    sendAll(options("{}"), tx, message(200_000));
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    assertThat(tx.dataResponse().code()).isEqualTo(451);
    assertThat(tx.dataResponse().message()).startsWith("4.4.2 rest_output: connection lost to "
        + up.base + "/transactions/t1/body");
    assertThat(up.requests("POST", "/transactions/t1/cancel")).hasSize(1);
  }

  // ------------------------------------------------------------------ upload, redirects, heartbeats

  @Test
  void chunkedUploadResyncsAfter416() {
    AtomicInteger puts = new AtomicInteger();
    up.beforePut = t -> {
      if (puts.incrementAndGet() == 3) { // the upstream lost bytes 15..19 (say, a crash)
        byte[] kept = Arrays.copyOf(t.body(), 15);
        t.body.reset();
        t.body.writeBytes(kept);
      }
    };
    FilterTx tx = tx("bob@example.com");
    byte[] msg = message(35);
    sendAll(options("{\"chunk_size\": 10}"), tx, msg);

    assertThat(tx.dataResponse().code()).isEqualTo(250);
    List<FakeUpstream.Req> sent = up.requests("PUT", "/body");
    assertThat(sent).extracting(r -> r.header("Content-Range")).containsExactly(
        "bytes 0-9/*", "bytes 10-19/*", "bytes 20-29/*", "bytes 15-24/*", "bytes 25-34/35");
    assertThat(sent).extracting(r -> r.header("Content-Length")).containsOnly("10");
    assertThat(sent.get(3).body()).isEqualTo(Arrays.copyOfRange(msg, 15, 25));
    assertThat(up.onlyTx().body()).isEqualTo(msg);
  }

  @Test
  void follows307And308WithTheSameMethodBodyAndHeaders() {
    Map<String, String> redirects = new java.util.concurrent.ConcurrentHashMap<>(Map.of(
        "POST /old/senders/router/transactions", "307 /senders/router/transactions",
        "PATCH /transactions/t1", "308 " + up.base + "/moved/transactions/t1",
        "PUT /transactions/t1/body", "307 /moved/transactions/t1/body"));
    up.interceptor = (head, ex) -> {
      String to = redirects.remove(head.method() + " " + head.path());
      if (to == null) {
        return false;
      }
      ex.getResponseHeaders().set("Location", to.substring(4));
      ex.sendResponseHeaders(Integer.parseInt(to.substring(0, 3)), -1);
      return true;
    };
    ObjectNode o = options("{}");
    o.put("static_endpoint", up.base + "/old/senders/router/transactions");
    FilterTx tx = tx();
    chain = chain(o);
    chain.update(tx, new Delta(true, List.of(), false));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    byte[] msg = message(40);
    tx.body(new Body.Raw(BlobSource.of(msg)));
    chain.update(tx, new Delta(false, List.of(), true));
    chain.close();

    assertThat(redirects).as("every redirect was hit").isEmpty();
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    FakeUpstream.Req post = up.requests("POST", "/senders/router/transactions").stream()
        .filter(r -> r.path().equals("/senders/router/transactions")).findFirst().orElseThrow();
    assertThat(post.json().at("/mail_from/m").asText()).isEqualTo("alice@example.com");
    assertThat(post.header("Content-Type")).isEqualTo("application/json");
    FakeUpstream.Req patch = up.requests("PATCH", "/moved/transactions/t1").getFirst();
    assertThat(patch.header("If-Match")).isNotNull();
    assertThat(patch.json()).isEqualTo(json("{\"rcpt_to\": [{\"m\": \"bob@example.com\"}]}"));
    FakeUpstream.Req put = up.requests("PUT", "/moved/transactions/t1/body").getFirst();
    assertThat(put.body()).isEqualTo(msg);
    assertThat(put.header("Content-Length")).isEqualTo("40");
  }

  @Test
  void heartbeatsWhileWaitingForData() {
    up.dataDelayMillis = 1200;
    FilterTx tx = tx("bob@example.com");
    sendAll(options("{\"heartbeat_interval\": 0.3}"), tx, message(10));
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    List<FakeUpstream.Req> beats = up.requests("PATCH", "/transactions/t1");
    assertThat(beats).hasSizeBetween(2, 6);
    for (FakeUpstream.Req b : beats) {
      assertThat(b.body()).isEmpty();
      assertThat(b.header("Content-Type")).isNull();
      assertThat(b.header("If-Match")).matches("\\d+");
    }
  }

  // ------------------------------------------------------------------ message builder, cancel

  @Test
  void builderBodyIsRefusedUnlessTheUpstreamOffersIt() {
    FilterTx tx = tx("bob@example.com");
    tx.body(new Body.Builder(json("{\"text_body\": [{\"content_type\": \"text/plain\","
        + " \"content\": {\"create_id\": \"b1\"}}]}"), Map.of("b1", BlobSource.of(message(5)))));
    chain = chain(options("{}"));
    chain.update(tx, everything(tx));
    chain.close();
    assertThat(tx.dataResponse()).isEqualTo(
        new Response(554, "5.6.0 rest_output: message_builder bodies must be rendered first"));
    assertThat(up.requests("PUT", "")).isEmpty();
  }

  @Test
  void builderBodyIsHandedToAReceiverThatOffersIt() {
    up.offerBuilder = true;
    FilterTx tx = tx("bob@example.com");
    ObjectNode spec = json("{\"text_body\": [{\"content_type\": \"text/plain\","
        + " \"content\": {\"create_id\": \"b1\"}}]}");
    byte[] blob = "hello".getBytes(StandardCharsets.UTF_8);
    tx.body(new Body.Builder(spec, Map.of("b1", BlobSource.of(blob))));
    chain = chain(options("{}"));
    chain.update(tx, everything(tx));
    chain.close();
    assertThat(tx.dataResponse().code()).isEqualTo(250);
    FakeUpstream.Req post = up.requests("POST", "/message_builder").getFirst();
    assertThat(post.json()).isEqualTo(spec);
    assertThat(post.header("If-Match")).isNotNull();
    assertThat(up.onlyTx().blobs.get("b1")).isEqualTo(blob);
  }

  @Test
  void cancelPropagatesUpstream() {
    FilterTx tx = tx("bob@example.com");
    chain = chain(options("{}"));
    chain.update(tx, new Delta(true, List.of(0), false));
    assertThat(tx.rcptResponses()).containsExactly(FakeUpstream.OK);
    tx.cancel();
    tx.body(new Body.Raw(BlobSource.of(message(10))));
    chain.update(tx, new Delta(false, List.of(), true));
    assertThat(tx.dataResponse()).isEqualTo(new Response(450, "4.3.0 rest_output: cancelled"));
    chain.close();
    assertThat(up.requests("POST", "/transactions/t1/cancel")).hasSize(1);
    assertThat(up.onlyTx().cancelled).isTrue();
    assertThat(up.requests("PUT", "")).isEmpty();
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void badOptionsFailAtStartup() {
    RestOutputFactory f = new RestOutputFactory();
    assertThatThrownBy(() -> f.prepare(new FilterStanza("rest_output", json("{\"static_endpoint\": \"ftp://x/\"}"),
        "r.yaml", 7))).isInstanceOf(ConfigException.class).hasMessageContaining("r.yaml:7")
        .hasMessageContaining("static_endpoint");
    assertThatThrownBy(() -> f.prepare(new FilterStanza("rest_output", json("{\"verify\": 3}"), "r.yaml", 7)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("verify");
    assertThatThrownBy(() -> f.prepare(new FilterStanza("rest_output", json("{\"chunk_size\": 0}"), "r.yaml", 7)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("chunk_size");
    assertThatThrownBy(() -> f.prepare(new FilterStanza("rest_output", json("{\"tiemout\": 3}"), "r.yaml", 7)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tiemout");
    assertThat(f.prepare(new FilterStanza("rest_output", json("{\"verify\": false}"), "r.yaml", 7)).get())
        .isInstanceOf(RestOutputFilter.class);
  }
}
