package net.koukan.restout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.filter.GrowingBlob;
import net.koukan.tx.HostPort;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal filter that hands a transaction to the next hop over Koukan's REST API (spec §5.3
 * {@code rest_output}, wire notes §10). Each update blocks until the upstream answered what it
 * was given or the timeout passed:
 *
 * <ul>
 *   <li>MAIL: for each host of {@code tx.resolution()} (or once without), POST the transaction
 *       ({@code remote_host} = that host) and long-poll for {@code mail_response}; a temporary
 *       failure, HTTP error or timeout moves on to the next host; the last host's answer counts.
 *   <li>RCPT: recipients not in the create are PATCHed with {@code rcpt_to_list_offset}; then
 *       long-poll until each has a response ({@code rcpt_timeout}).
 *   <li>DATA: only when a recipient was accepted upstream; a raw body is PUT to the upstream's
 *       {@code body.blob_status.uri} (chunked above {@code chunk_size}); a message-builder body
 *       only to a receiver offering {@code body.message_builder.uri}, else 554. Then long-poll for
 *       {@code data_response} ({@code data_timeout} covers upload and wait).
 * </ul>
 *
 * <p>Failures never escape: an unreachable or misbehaving upstream answers 451/450 with the
 * reason, a missing endpoint 550. {@link #close} cancels the upstream transaction unless it
 * finished, and answers anything left unanswered with {@link #CANCELLED} (450: the downstream
 * went away, so nothing should bounce for it).
 */
public final class RestOutputFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(RestOutputFilter.class);

  static final Response CANCELLED = new Response(450, "4.3.0 rest_output: cancelled");
  static final Response NO_ENDPOINT = new Response(550, "5.3.0 rest_output: no endpoint");
  static final Response BUILDER_NOT_RENDERED =
      new Response(554, "5.6.0 rest_output: message_builder bodies must be rendered first");

  private final RestOutputOptions options;
  private final UpstreamHttp http;
  private final BodyUpload upload;

  private FilterTx tx;
  private UpstreamTx up;
  /** The tx recipient index of each upstream recipient, in upstream order. */
  private final List<Integer> upstreamRcpts = new ArrayList<>();
  /** Set when a write failed in a way that leaves the upstream's state unknown. */
  private Response broken;
  private boolean bodySent;
  private ObjectNode sentFilterOutput;
  // every request handed to this filter, for close()
  private boolean mailGiven;
  private final Set<Integer> rcptsGiven = new LinkedHashSet<>();
  private boolean bodyGiven;

  RestOutputFilter(RestOutputOptions options, UpstreamHttp http) {
    this.options = options;
    this.http = http;
    this.upload = new BodyUpload(http, options.chunkSize());
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    this.tx = tx;
    mailGiven |= delta.mailFrom();
    rcptsGiven.addAll(delta.rcpts());
    bodyGiven |= delta.body();
    try {
      if (tx.cancelled()) {
        tx.fillUnanswered(delta, CANCELLED);
        return;
      }
      if (delta.mailFrom()) {
        start(delta.rcpts());
      } else if (!delta.rcpts().isEmpty()) {
        addRcpts(delta.rcpts());
      }
      if (delta.body() && tx.dataResponse() == null && !tx.done()) {
        sendBody();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      tx.fillUnanswered(delta, CANCELLED);
    } catch (RuntimeException e) {
      log.error("rest_output: unexpected failure", e);
      tx.fillUnanswered(delta, new Response(450, "4.3.0 rest_output: internal error"));
    }
  }

  @Override
  public void close() {
    if (up != null && ((tx != null && tx.cancelled()) || !up.finished())) {
      log.debug("rest_output: cancelling upstream {}", up.uri());
      up.cancel();
    }
    if (tx != null) {
      tx.fillUnanswered(new Delta(mailGiven, List.copyOf(rcptsGiven), bodyGiven), CANCELLED);
    }
  }

  // ------------------------------------------------------------------ MAIL

  private void start(List<Integer> rcpts) throws InterruptedException {
    String endpoint = options.staticEndpoint() != null ? options.staticEndpoint() : tx.restEndpoint();
    if (endpoint == null) {
      tx.mailResponse(NO_ENDPOINT);
      return;
    }
    URI base = httpUri(endpoint);
    if (base == null) {
      tx.mailResponse(new Response(550, UpstreamView.clean("5.3.0 rest_output: invalid endpoint " + endpoint)));
      return;
    }
    List<HostPort> hosts = tx.resolution() == null ? Collections.singletonList(null) : tx.resolution();
    if (hosts.isEmpty()) {
      tx.mailResponse(new Response(451, "4.4.4 rest_output: no upstream host to try"));
      return;
    }
    for (int i = 0; i < hosts.size(); i++) {
      boolean lastHost = i == hosts.size() - 1;
      long deadline = System.nanoTime() + options.rcptTimeout().toNanos();
      UpstreamTx t = null;
      Response mail;
      try {
        t = UpstreamTx.create(http, base, createJson(hosts.get(i), rcpts), rcpts.size(),
            options.heartbeatInterval(), deadline);
        t.await(v -> v.mail() != null, deadline);
        mail = t.view().mail();
      } catch (UpstreamException e) {
        mail = e.response();
      }
      if (!mail.ok() && t != null) {
        t.cancel(); // an upstream with retries of its own must not deliver behind our back
        t = null;
      }
      if (mail.temporary() && !lastHost) {
        log.info("rest_output: {} for host {}, trying the next one", mail, hosts.get(i));
        continue;
      }
      tx.mailResponse(mail);
      if (t == null) {
        return; // rcpts and data follow as failed preconditions
      }
      up = t;
      upstreamRcpts.addAll(rcpts);
      awaitRcpts(rcpts, deadline);
      return;
    }
  }

  /** An absolute http(s) URL, or null. */
  static URI httpUri(String s) {
    try {
      URI u = new URI(s);
      boolean http = "http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
      return http && u.getHost() != null ? u : null;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }

  private ObjectNode createJson(HostPort host, List<Integer> rcpts) {
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    HostPort remote = host != null ? host : tx.remoteHost();
    if (remote != null) {
      o.set("remote_host", TxJson.toJson(remote));
    }
    if (tx.localHost() != null) {
      o.set("local_host", TxJson.toJson(tx.localHost()));
    }
    o.set("mail_from", TxJson.toJson(tx.mailFrom()));
    if (!rcpts.isEmpty()) {
      o.set("rcpt_to", rcptJson(rcpts));
    }
    if (tx.smtpMeta() != null) {
      o.set("smtp_meta", tx.smtpMeta().deepCopy());
    }
    if (tx.upstreamSender() != null) {
      ObjectNode s = o.putObject("sender");
      s.put("name", tx.upstreamSender());
      if (tx.upstreamTag() != null) {
        s.put("tag", tx.upstreamTag());
      }
    }
    if (sendFilterOutput() && !tx.filterOutput().isEmpty()) {
      sentFilterOutput = tx.filterOutput().deepCopy();
      o.set("filter_output", sentFilterOutput.deepCopy());
    }
    return o;
  }

  // ------------------------------------------------------------------ RCPT

  private void addRcpts(List<Integer> rcpts) throws InterruptedException {
    if (up == null || broken != null) {
      Response r = broken != null ? broken : new Response(503, "5.5.1 failed precondition: MAIL");
      rcpts.forEach(i -> tx.rcptResponse(i, r));
      return;
    }
    long deadline = System.nanoTime() + options.rcptTimeout().toNanos();
    ObjectNode patch = TxJson.MAPPER.createObjectNode();
    patch.set("rcpt_to", rcptJson(rcpts));
    if (up.rcptsSent() > 0) {
      patch.put("rcpt_to_list_offset", up.rcptsSent());
    }
    try {
      up.patch(patch, rcpts.size(), deadline);
    } catch (UpstreamException e) {
      broken = e.response();
      rcpts.forEach(i -> tx.rcptResponse(i, e.response()));
      return;
    }
    upstreamRcpts.addAll(rcpts);
    awaitRcpts(rcpts, deadline);
  }

  /** Waits for the responses of every upstream recipient; {@code rcpts} get the error on failure. */
  private void awaitRcpts(List<Integer> rcpts, long deadline) throws InterruptedException {
    int n = up.rcptsSent();
    try {
      up.await(v -> v.rcpts().size() >= n || (v.mail() != null && !v.mail().ok()), deadline);
    } catch (UpstreamException e) {
      absorb();
      rcpts.forEach(i -> tx.rcptResponse(i, e.response()));
      return;
    }
    absorb();
  }

  private ArrayNode rcptJson(List<Integer> rcpts) {
    ArrayNode a = TxJson.MAPPER.createArrayNode();
    rcpts.forEach(i -> a.add(TxJson.toJson(tx.rcptTo().get(i))));
    return a;
  }

  /** Copies the upstream's recipient and data responses onto the transaction. */
  private void absorb() {
    UpstreamView v = up.view();
    for (int j = 0; j < v.rcpts().size() && j < upstreamRcpts.size(); j++) {
      tx.rcptResponse(upstreamRcpts.get(j), v.rcpts().get(j));
    }
    if (bodySent && v.data() != null) {
      tx.dataResponse(v.data());
    }
  }

  // ------------------------------------------------------------------ DATA

  private void sendBody() throws InterruptedException {
    if (up == null || broken != null) {
      tx.dataResponse(broken != null ? broken : new Response(503, "5.5.1 failed precondition: MAIL"));
      return;
    }
    boolean accepted = upstreamRcpts.stream()
        .anyMatch(i -> tx.rcptResponse(i) != null && tx.rcptResponse(i).ok());
    if (!accepted) {
      tx.dataResponse(new Response(503, "5.5.1 failed precondition: no recipient accepted upstream"));
      return;
    }
    long deadline = System.nanoTime() + options.dataTimeout().toNanos();
    try {
      sendFilterOutputUpdate(deadline);
      switch (tx.body()) {
        case Body.Raw raw -> {
          String u = up.view().bodyUri();
          if (u == null) {
            throw UpstreamException.protocol("upstream offered no body.blob_status.uri");
          }
          bodySent = true;
          if (raw.blob() instanceof GrowingBlob g && !g.complete()) {
            // the client is still sending: pieces as they come; the DATA wait starts at the end
            upload.stream(up.resolve(u), g, options.refreshInterval(), options.dataTimeout());
            deadline = System.nanoTime() + options.dataTimeout().toNanos();
          } else {
            upload.upload(up.resolve(u), raw.blob(), deadline);
          }
        }
        case Body.Builder b -> {
          String u = up.view().builderUri();
          BlobSource original = b.blobs().get(Body.RAW_BLOB); // from the message parser
          if (u == null && original != null && up.view().bodyUri() != null) {
            // the receiver does not take parsed messages: send the original as it came
            bodySent = true;
            upload.upload(up.resolve(up.view().bodyUri()), original, deadline);
            break;
          }
          if (u == null) {
            tx.dataResponse(BUILDER_NOT_RENDERED);
            return;
          }
          bodySent = true;
          sendBuilder(b, up.resolve(u), deadline);
          if (original != null && up.view().bodyUri() != null) {
            // §2.12: the parsed JSON, its blobs, then the raw message
            upload.upload(up.resolve(up.view().bodyUri()), original, deadline);
          }
        }
      }
      up.wrote();
      up.await(v -> v.data() != null, deadline);
      absorb();
    } catch (UpstreamException e) {
      if (e.kind() != UpstreamException.Kind.TIMEOUT) {
        broken = e.response();
      }
      tx.dataResponse(e.response());
    }
  }

  /**
   * The receiver contract (spec §2.12): POST the spec to {@code body.message_builder.uri}, then PUT
   * each blob to the URI its answer names (the original message, {@link Body#RAW_BLOB}, goes to
   * the body URI afterwards).
   */
  private void sendBuilder(Body.Builder b, URI builderUri, long deadline)
      throws UpstreamException, InterruptedException {
    JsonNode answer = up.postBuilder(builderUri, b.spec(), deadline);
    JsonNode statuses = answer.path("body").path("message_builder").path("blob_status");
    for (Map.Entry<String, BlobSource> e : b.blobs().entrySet()) {
      if (e.getKey().equals(Body.RAW_BLOB)) {
        continue;
      }
      JsonNode u = statuses.path(e.getKey()).path("uri");
      if (!u.isTextual()) {
        throw UpstreamException.protocol("upstream named no uri for blob " + e.getKey());
      }
      upload.upload(up.resolve(u.asText()), e.getValue(), deadline);
    }
  }

  /** With {@code send_filter_output}, signals added since the create go up before the body. */
  private void sendFilterOutputUpdate(long deadline) throws UpstreamException, InterruptedException {
    if (!sendFilterOutput() || tx.filterOutput().isEmpty() || tx.filterOutput().equals(sentFilterOutput)) {
      return;
    }
    ObjectNode fo = tx.filterOutput().deepCopy();
    ObjectNode patch = TxJson.MAPPER.createObjectNode();
    patch.set("filter_output", fo.deepCopy());
    up.patch(patch, 0, deadline);
    sentFilterOutput = fo;
  }

  private boolean sendFilterOutput() {
    return tx.options() != null && tx.options().path("send_filter_output").asBoolean(false);
  }
}
