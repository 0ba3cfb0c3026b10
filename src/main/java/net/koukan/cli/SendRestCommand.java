package net.koukan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import net.koukan.tx.TxJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code koukan send-rest}: sends a message through the REST API, as the reference's
 * {@code send_message.py}. One transaction per recipient; the first uploads the body (a raw
 * message, or a message-builder spec whose parts name files with {@code "content":
 * {"filename": path}}), the others reuse it. Then it long-polls each until it is final.
 */
@Command(name = "send-rest", mixinStandardHelpOptions = true,
    description = "Send a message over the REST API and wait for the outcome.")
public final class SendRestCommand implements Callable<Integer> {

  @Option(names = "--router", defaultValue = "http://127.0.0.1:8000", description = "router base URL (default: ${DEFAULT-VALUE})")
  String router;

  @Option(names = "--sender", defaultValue = "submission", description = "sender name in the URL (default: ${DEFAULT-VALUE})")
  String sender;

  @Option(names = "--tag", description = "sender tag")
  String tag;

  @Option(names = "--from", required = true, description = "MAIL FROM address ('' for the null sender)")
  String from;

  @Option(names = "--to", required = true, description = "recipient; repeat for several (one transaction each)")
  List<String> to;

  @Option(names = "--message", description = "a raw RFC 822 message file")
  Path message;

  @Option(names = "--builder", description = "a message-builder JSON file (parts may use {\"filename\": path})")
  Path builder;

  @Option(names = "--timeout", defaultValue = "120", description = "seconds to wait for final results (0: do not wait)")
  int timeout;

  PrintStream out = System.out;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(10)).build();

  @Override
  public Integer call() throws Exception {
    if ((message == null) == (builder == null)) {
      System.err.println("send-rest: give exactly one of --message and --builder");
      return 2;
    }
    String base = router.endsWith("/") ? router.substring(0, router.length() - 1) : router;
    List<String> ids = new ArrayList<>();
    String bodyRef = null; // reuse: "/transactions/<first>/body" or the builder's blob URIs
    ObjectNode reuseSpec = null;
    for (String rcpt : to) {
      ObjectNode tx = TxJson.MAPPER.createObjectNode();
      tx.putObject("mail_from").put("m", from);
      tx.putArray("rcpt_to").addObject().put("m", rcpt);
      if (tag != null) {
        tx.putObject("sender").put("tag", tag);
      }
      Map<String, Path> uploads = new LinkedHashMap<>();
      if (bodyRef != null) {
        tx.putObject("body").put("reuse_uri", bodyRef);
      } else if (reuseSpec != null) {
        tx.putObject("body").set("message_builder", reuseSpec);
      } else if (builder != null) {
        ObjectNode spec = (ObjectNode) TxJson.MAPPER.readTree(Files.readAllBytes(builder));
        uploads = fileParts(spec, builder.toAbsolutePath().getParent());
        tx.putObject("body").set("message_builder", spec);
      }
      HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base + "/senders/" + sender + "/transactions"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(tx.toString())));
      if (r.statusCode() != 201) {
        System.err.println("send-rest: create for " + rcpt + " failed: " + r.statusCode() + " "
            + new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        return 1;
      }
      String loc = r.headers().firstValue("Location").orElseThrow();
      String id = loc.substring(loc.lastIndexOf('/') + 1);
      ids.add(id);
      JsonNode created = TxJson.MAPPER.readTree(r.body());
      if (message != null && bodyRef == null) {
        String uri = created.at("/body/blob_status/uri").asText();
        put(uri, Files.readAllBytes(message));
        bodyRef = "/transactions/" + id + "/body";
      } else if (builder != null && reuseSpec == null) {
        for (Map.Entry<String, Path> u : uploads.entrySet()) {
          String uri = created.at("/body/message_builder/blob_status/" + u.getKey() + "/uri").asText();
          put(uri, Files.readAllBytes(u.getValue()));
        }
        reuseSpec = reuseOf(TxJson.MAPPER.readTree(Files.readAllBytes(builder)), id);
      }
      out.println(rcpt + ": " + loc);
    }
    if (timeout == 0) {
      return 0;
    }
    boolean allOk = true;
    for (int i = 0; i < ids.size(); i++) {
      JsonNode fin = await(base, ids.get(i));
      String reason = fin == null ? "(no final result within " + timeout + " s)" : fin.path("final_attempt_reason").asText();
      JsonNode data = fin == null ? null : fin.get("data_response");
      out.println(to.get(i) + ": " + reason + (data == null ? "" : " " + data));
      allOk &= "upstream response success".equals(reason);
    }
    return allOk ? 0 : 1;
  }

  /** Replaces {"filename": p} contents with create_ids; returns id → file. */
  private static Map<String, Path> fileParts(ObjectNode spec, Path dir) {
    Map<String, Path> out = new LinkedHashMap<>();
    int n = 0;
    for (String list : new String[] {"text_body", "related_attachments", "file_attachments"}) {
      JsonNode parts = spec.get(list);
      if (parts == null || !parts.isArray()) {
        continue;
      }
      for (JsonNode part : parts) {
        JsonNode content = part.get("content");
        if (content instanceof ObjectNode c && c.has("filename") && !c.has("inline")
            && !c.has("create_id") && !c.has("reuse_uri")) {
          String id = "file" + n++;
          out.put(id, dir.resolve(c.get("filename").asText()));
          c.removeAll();
          c.put("create_id", id);
        }
      }
    }
    return out;
  }

  /** The same spec with every file part reusing the first transaction's blob. */
  private static ObjectNode reuseOf(JsonNode original, String firstId) {
    ObjectNode spec = (ObjectNode) original.deepCopy();
    int n = 0;
    for (String list : new String[] {"text_body", "related_attachments", "file_attachments"}) {
      JsonNode parts = spec.get(list);
      if (parts == null || !parts.isArray()) {
        continue;
      }
      for (JsonNode part : parts) {
        JsonNode content = part.get("content");
        if (content instanceof ObjectNode c && c.has("filename") && !c.has("inline")) {
          String id = "file" + n++;
          c.removeAll();
          c.put("reuse_uri", "/transactions/" + firstId + "/blob/" + id);
        }
      }
    }
    return spec;
  }

  private void put(String uri, byte[] bytes) throws IOException, InterruptedException {
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(uri)).PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    if (r.statusCode() != 200) {
      throw new IOException("PUT " + uri + " failed: " + r.statusCode());
    }
  }

  private JsonNode await(String base, String id) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(timeout).toNanos();
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(base + "/transactions/" + id)));
    JsonNode j = TxJson.MAPPER.readTree(r.body());
    String etag = r.headers().firstValue("ETag").orElse("0");
    while (!j.has("final_attempt_reason") && System.nanoTime() < deadline) {
      HttpResponse<byte[]> next = send(HttpRequest.newBuilder(URI.create(base + "/transactions/" + id))
          .header("If-None-Match", etag).header("request-timeout", "10"));
      if (next.statusCode() == 200) {
        j = TxJson.MAPPER.readTree(next.body());
        etag = next.headers().firstValue("ETag").orElse(etag);
      }
    }
    return j.has("final_attempt_reason") ? j : null;
  }

  private HttpResponse<byte[]> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return http.send(b.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
