package net.koukan.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import net.koukan.tx.HostPort;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver's side of the §2.12 contract over real HTTP: create, body, long-poll, PATCH, cancel, GC. */
class ReceiverServerTest {
  @TempDir Path dir;
  ReceiverServer server;
  final TestClock clock = new TestClock();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** A clock the test moves by hand (for the GC). */
  static final class TestClock extends Clock {
    volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneId.of("UTC");
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  record Resp(int status, HttpResponse<byte[]> raw) {
    String header(String n) {
      return raw.headers().firstValue(n).orElse(null);
    }

    JsonNode json() {
      try {
        return TxJson.MAPPER.readTree(raw.body());
      } catch (IOException e) {
        throw new AssertionError(new String(raw.body(), StandardCharsets.UTF_8), e);
      }
    }

    long etag() {
      return Long.parseLong(header("ETag"));
    }
  }

  ReceiverServer start() {
    server = new ReceiverServer("127.0.0.1", 0,
        ReceiverSettings.defaults(dir).withMaxMessageSize(1000), clock).start();
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  Resp send(String method, String url, byte[] body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.startsWith("http") ? url : server.baseUri() + url))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Resp(r.statusCode(), r);
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  Resp create(String json) {
    return send("POST", "/senders/router/transactions", json.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json");
  }

  static final String ENVELOPE = """
      {"remote_host": ["203.0.113.5", 41234], "mail_from": {"m": "alice@example.com"},
       "rcpt_to": [{"m": "bob@example.com"}], "smtp_meta": {"ehlo_host": "mx.peer.net"},
       "sender": {"name": "router", "tag": "sor"}}""";

  static JsonNode json(String s) throws IOException {
    return TxJson.MAPPER.readTree(s);
  }

  static String id(Resp created) {
    String loc = created.header("Location");
    return loc.substring(loc.lastIndexOf('/') + 1);
  }

  @Test
  void createAnswers201WithPlaceholdersResponsesAndTheBodyUri() throws IOException {
    start();
    Resp r = create(ENVELOPE);
    assertThat(r.status()).isEqualTo(201);
    String loc = r.header("Location");
    assertThat(loc).matches(server.baseUri() + "/transactions/[A-Za-z0-9_-]{22}");
    assertThat(r.header("ETag")).isEqualTo("1");
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(r.json()).isEqualTo(json("""
        {"remote_host": ["203.0.113.5", 41234], "mail_from": {},
         "mail_response": {"code": 250, "message": "ok"},
         "rcpt_to": [{}], "rcpt_response": [{"code": 250, "message": "ok"}],
         "body": {"blob_status": {"uri": "%s/body"}}}""".formatted(loc)));
    assertThat(send("GET", loc, null).json()).isEqualTo(r.json());

    Resp notJson = send("POST", "/senders/router/transactions", ENVELOPE.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "text/plain");
    assertThat(notJson.status()).isEqualTo(415);
    assertThat(notJson.json().get("code").asText()).isEqualTo("unsupported_media_type");
    assertThat(create("{\"mail_from\": ").json().get("code").asText()).isEqualTo("invalid_json");
    assertThat(create("{\"rcpt_to\": [{\"m\": \"b@x\"}]}").status()).isEqualTo(400);
    assertThat(create("{\"mail_from\": {\"m\": \"a@x\"}, \"body\": {\"inline\": \"x\"}}").status()).isEqualTo(400);
    assertThat(create("{\"mail_from\": {\"m\": \"a@x\"}, \"retry\": {}}").status()).isEqualTo(400);
    assertThat(send("GET", "/transactions/nope", null).status()).isEqualTo(404);
  }

  @Test
  void rangedBodyIsStoredAndDataResponseComesOnlyWithTheFile() throws Exception {
    start();
    Resp c = create(ENVELOPE);
    String id = id(c);
    String body = c.json().at("/body/blob_status/uri").asText();
    byte[] msg = "Subject: hi\r\n\r\nhello, receiver\r\n".getBytes(StandardCharsets.US_ASCII);

    Resp p1 = send("PUT", body, Arrays.copyOfRange(msg, 0, 10), "Content-Range", "bytes 0-9/*");
    assertThat(p1.status()).isEqualTo(200);
    assertThat(p1.header("Content-Range")).isEqualTo("bytes 0-9/*");
    assertThat(p1.json()).isEqualTo(json("{}"));
    Resp mid = send("GET", "/transactions/" + id, null);
    assertThat(mid.json().has("data_response")).isFalse();
    assertThat(dir.resolve(id + ".msg")).doesNotExist();
    assertThat(dir.resolve(id + ".msg.part")).exists();

    // a gap is refused with the stored range; a re-sent piece is harmless
    Resp gap = send("PUT", body, Arrays.copyOfRange(msg, 12, 20), "Content-Range", "bytes 12-19/*");
    assertThat(gap.status()).isEqualTo(416);
    assertThat(gap.header("Content-Range")).isEqualTo("bytes 0-9/*");
    assertThat(send("PUT", body, Arrays.copyOfRange(msg, 0, 10), "Content-Range", "bytes 0-9/*").status())
        .isEqualTo(200);

    long etag = send("GET", "/transactions/" + id, null).etag();
    CompletableFuture<Resp> poll = CompletableFuture.supplyAsync(() ->
        send("GET", "/transactions/" + id, null, "If-None-Match", Long.toString(etag), "request-timeout", "10"));
    Resp p2 = send("PUT", body, Arrays.copyOfRange(msg, 10, msg.length),
        "Content-Range", "bytes 10-" + (msg.length - 1) + "/" + msg.length);
    assertThat(p2.status()).isEqualTo(200);
    assertThat(p2.header("Content-Range")).isEqualTo("bytes 0-" + (msg.length - 1) + "/" + msg.length);
    Resp done = poll.get();
    assertThat(done.status()).isEqualTo(200);
    assertThat(done.json().get("data_response")).isEqualTo(json(
        "{\"code\": 250, \"message\": \"2.0.0 stored " + id + "\"}"));
    // the moment the client can see the 250, the message is on disk under its final name
    assertThat(Files.readAllBytes(dir.resolve(id + ".msg"))).isEqualTo(msg);
    assertThat(dir.resolve(id + ".msg.part")).doesNotExist();
    JsonNode env = TxJson.MAPPER.readTree(dir.resolve(id + ".tx.json").toFile());
    assertThat(env.get("id").asText()).isEqualTo(id);
    assertThat(env.get("size").asLong()).isEqualTo(msg.length);
    assertThat(env.get("mail_from")).isEqualTo(json("{\"m\": \"alice@example.com\"}"));
    assertThat(env.get("rcpt_to")).isEqualTo(json("[{\"m\": \"bob@example.com\"}]"));
    assertThat(env.get("sender")).isEqualTo(json("{\"name\": \"router\", \"tag\": \"sor\"}"));
    assertThat(env.get("smtp_meta")).isEqualTo(json("{\"ehlo_host\": \"mx.peer.net\"}"));
    assertThat(done.json().at("/body/blob_status/finalized").asBoolean()).isTrue();

    // re-sending the whole body is idempotent; a longer one is not
    assertThat(send("PUT", body, msg).status()).isEqualTo(200);
    assertThat(send("PUT", body, Arrays.copyOf(msg, msg.length + 1)).status()).isEqualTo(416);
  }

  @Test
  void wholeAndFinalizingPuts() throws IOException {
    start();
    String id = id(create(ENVELOPE));
    byte[] msg = "Subject: x\r\n\r\nwhole\r\n".getBytes(StandardCharsets.US_ASCII);
    Resp r = send("PUT", "/transactions/" + id + "/body", msg);
    assertThat(r.header("Content-Range")).isEqualTo("bytes 0-" + (msg.length - 1) + "/" + msg.length);
    assertThat(send("GET", "/transactions/" + id, null).json().at("/data_response/code").asInt()).isEqualTo(250);
    assertThat(Files.readAllBytes(dir.resolve(id + ".msg"))).isEqualTo(msg);

    String id2 = id(create(ENVELOPE));
    assertThat(send("PUT", "/transactions/" + id2 + "/body", msg, "Content-Range",
        "bytes 0-" + (msg.length - 1) + "/*").status()).isEqualTo(200);
    assertThat(send("PUT", "/transactions/" + id2 + "/body", null,
        "x-finalize-blob-length", Integer.toString(msg.length + 1)).status()).isEqualTo(416);
    assertThat(send("PUT", "/transactions/" + id2 + "/body", null,
        "x-finalize-blob-length", Integer.toString(msg.length)).status()).isEqualTo(200);
    assertThat(Files.readAllBytes(dir.resolve(id2 + ".msg"))).isEqualTo(msg);

    String id3 = id(create(ENVELOPE));
    assertThat(send("PUT", "/transactions/" + id3 + "/body", new byte[1001]).status()).isEqualTo(413);
    assertThat(send("PUT", "/transactions/" + id3 + "/body", msg, "Content-Range", "bytes 0-3/*").status())
        .as("range and length disagree").isEqualTo(400);
  }

  @Test
  void patchHeartbeatsRecipientsAndFilterOutput() throws IOException {
    start();
    Resp c = create("{\"mail_from\": {\"m\": \"alice@example.com\"}}");
    String tx = "/transactions/" + id(c);
    assertThat(c.json().has("rcpt_to")).isFalse();

    Resp beat = send("PATCH", tx, null, "If-Match", "1");
    assertThat(beat.status()).isEqualTo(200);
    assertThat(beat.etag()).isEqualTo(2);
    assertThat(send("PATCH", tx, null, "If-Match", "1").status()).isEqualTo(412);
    assertThat(send("PATCH", tx, null).json().get("code").asText()).isEqualTo("etag_required");

    Resp add = send("PATCH", tx, "{\"rcpt_to\": [{\"m\": \"bob@example.com\"}]}".getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json", "If-Match", "\"2\"");
    assertThat(add.status()).isEqualTo(200);
    assertThat(add.json().get("rcpt_response")).isEqualTo(json("[{\"code\": 250, \"message\": \"ok\"}]"));
    Resp wrongOffset = send("PATCH", tx, "{\"rcpt_to\": [{\"m\": \"c@example.com\"}]}".getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json", "If-Match", Long.toString(add.etag()));
    assertThat(wrongOffset.status()).isEqualTo(400);
    Resp fo = send("PATCH", tx, "{\"filter_output\": {\"spf\": {\"result\": \"pass\"}}}".getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json", "If-Match", Long.toString(add.etag()));
    assertThat(fo.status()).isEqualTo(200);
    assertThat(send("PATCH", tx, "{\"mail_from\": {\"m\": \"x@y\"}}".getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json", "If-Match", Long.toString(fo.etag())).status()).isEqualTo(400);

    send("PUT", tx + "/body", "Subject: s\r\n\r\nb\r\n".getBytes(StandardCharsets.US_ASCII));
    JsonNode env = TxJson.MAPPER.readTree(dir.resolve(id(c) + ".tx.json").toFile());
    assertThat(env.get("filter_output")).isEqualTo(json("{\"spf\": {\"result\": \"pass\"}}"));
    assertThat(env.get("rcpt_to")).isEqualTo(json("[{\"m\": \"bob@example.com\"}]"));
  }

  @Test
  void longPollTimesOutWith304() {
    start();
    String tx = "/transactions/" + id(create(ENVELOPE));
    long t0 = System.nanoTime();
    Resp r = send("GET", tx, null, "If-None-Match", "\"1\"", "request-timeout", "1");
    assertThat(r.status()).isEqualTo(304);
    assertThat(r.header("ETag")).isEqualTo("\"1\"");
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(900L, 5000L);
    assertThat(send("GET", tx, null, "If-None-Match", "7", "request-timeout", "1").status())
        .as("another ETag answers at once").isEqualTo(200);
  }

  @Test
  void cancelDropsThePartialBody() {
    start();
    String id = id(create(ENVELOPE));
    String tx = "/transactions/" + id;
    send("PUT", tx + "/body", "Subject".getBytes(StandardCharsets.US_ASCII), "Content-Range", "bytes 0-6/*");
    assertThat(dir.resolve(id + ".msg.part")).exists();
    Resp c = send("POST", tx + "/cancel", null);
    assertThat(c.status()).isEqualTo(200);
    assertThat(c.raw().body()).isEmpty();
    JsonNode after = send("GET", tx, null).json();
    assertThat(after.get("cancelled").asBoolean()).isTrue();
    assertThat(after.has("data_response")).isFalse();
    assertThat(dir.resolve(id + ".msg.part")).doesNotExist();
    assertThat(send("PUT", tx + "/body", ": x\r\n".getBytes(StandardCharsets.US_ASCII),
        "Content-Range", "bytes 7-11/12").status()).isEqualTo(409);
    assertThat(dir.resolve(id + ".msg")).doesNotExist();
    assertThat(send("POST", "/transactions/nope/cancel", null).status()).isEqualTo(404);
  }

  @Test
  void idleTransactionsAreForgottenAfterTheTtl() {
    start();
    String idle = id(create(ENVELOPE));
    send("PUT", "/transactions/" + idle + "/body", "Subj".getBytes(StandardCharsets.US_ASCII),
        "Content-Range", "bytes 0-3/*");
    clock.now = clock.now.plusSeconds(200);
    String fresh = id(create(ENVELOPE));
    assertThat(server.gc()).isZero();
    clock.now = clock.now.plusSeconds(101); // idle: 301 s without a request; fresh: 101 s
    assertThat(server.gc()).isEqualTo(1);
    assertThat(send("GET", "/transactions/" + idle, null).status()).isEqualTo(404);
    assertThat(dir.resolve(idle + ".msg.part")).doesNotExist();
    assertThat(send("GET", "/transactions/" + fresh, null).status()).isEqualTo(200);
  }

  @Test
  void listenAddressesParse() {
    assertThat(ReceiverServer.parseListen("127.0.0.1:8002")).isEqualTo(new HostPort("127.0.0.1", 8002));
    assertThat(ReceiverServer.parseListen("[::1]:25")).isEqualTo(new HostPort("::1", 25));
    assertThatThrownBy(() -> ReceiverServer.parseListen("::1:25")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReceiverServer.parseListen("localhost")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReceiverServer.parseListen("h:99999")).isInstanceOf(IllegalArgumentException.class);
  }
}
