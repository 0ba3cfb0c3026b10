package net.koukan.filter;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * The in-process transaction a chain works on during one attempt: the envelope as it grows, the
 * responses as they arrive, and the routing fields filters set for the outputs. Owned by one
 * attempt's thread; not thread-safe.
 */
public final class FilterTx {
  private final String restId;
  private final String sender;
  private final String tag;
  private HostPort remoteHost;
  private HostPort localHost;
  private ObjectNode smtpMeta;
  private Mailbox mailFrom;
  private final List<Mailbox> rcptTo = new ArrayList<>();
  private Body body;

  private Response mailResponse;
  private final List<Response> rcptResponse = new ArrayList<>();
  private Response dataResponse;

  // routing, set by filters for the outputs
  private String restEndpoint;
  private String upstreamSender;
  private String upstreamTag;
  private List<HostPort> resolution;
  private ObjectNode options;
  private final ObjectNode filterOutput = JsonNodeFactory.instance.objectNode();
  private final java.util.BitSet routed = new java.util.BitSet();
  private boolean cancelled;

  public FilterTx(String restId, String sender, String tag) {
    this.restId = restId;
    this.sender = sender;
    this.tag = tag;
  }

  /** The stored transaction's id, or null for one that lives only in memory. */
  public String restId() {
    return restId;
  }

  public String sender() {
    return sender;
  }

  public String tag() {
    return tag;
  }

  public HostPort remoteHost() {
    return remoteHost;
  }

  public void remoteHost(HostPort h) {
    remoteHost = h;
  }

  public HostPort localHost() {
    return localHost;
  }

  public void localHost(HostPort h) {
    localHost = h;
  }

  public ObjectNode smtpMeta() {
    return smtpMeta;
  }

  public void smtpMeta(ObjectNode m) {
    smtpMeta = m;
  }

  public Mailbox mailFrom() {
    return mailFrom;
  }

  public void mailFrom(Mailbox m) {
    if (mailFrom != null) {
      throw new IllegalStateException("mail_from is write-once");
    }
    mailFrom = m;
  }

  public List<Mailbox> rcptTo() {
    return Collections.unmodifiableList(rcptTo);
  }

  /** Appends a recipient and returns its index. */
  public int addRcpt(Mailbox m) {
    rcptTo.add(m);
    rcptResponse.add(null);
    return rcptTo.size() - 1;
  }

  public Body body() {
    return body;
  }

  public void body(Body b) {
    if (body != null) {
      throw new IllegalStateException("body is write-once");
    }
    body = b;
  }

  /**
   * Replaces the body for the filters after this one (a Received header prepended, a DKIM
   * signature added, a message-builder spec rendered). Only the in-memory transaction of this
   * attempt changes; what is stored stays as the client sent it.
   */
  public void rewriteBody(Body b) {
    if (body == null) {
      throw new IllegalStateException("no body to rewrite");
    }
    body = java.util.Objects.requireNonNull(b);
  }

  public Response mailResponse() {
    return mailResponse;
  }

  /** Sets the MAIL response unless one is already there; returns whether it was set. */
  public boolean mailResponse(Response r) {
    if (mailResponse != null) {
      return false;
    }
    mailResponse = r;
    return true;
  }

  public Response rcptResponse(int i) {
    return rcptResponse.get(i);
  }

  public List<Response> rcptResponses() {
    return Collections.unmodifiableList(rcptResponse);
  }

  public boolean rcptResponse(int i, Response r) {
    if (rcptResponse.get(i) != null) {
      return false;
    }
    rcptResponse.set(i, r);
    return true;
  }

  public Response dataResponse() {
    return dataResponse;
  }

  public boolean dataResponse(Response r) {
    if (dataResponse != null) {
      return false;
    }
    dataResponse = r;
    return true;
  }

  public String restEndpoint() {
    return restEndpoint;
  }

  public void restEndpoint(String url) {
    restEndpoint = url;
  }

  public String upstreamSender() {
    return upstreamSender;
  }

  public String upstreamTag() {
    return upstreamTag;
  }

  public void upstream(String senderName, String tagName) {
    upstreamSender = senderName;
    upstreamTag = tagName;
  }

  public List<HostPort> resolution() {
    return resolution;
  }

  public void resolution(List<HostPort> hosts) {
    resolution = hosts == null ? null : List.copyOf(hosts);
  }

  public ObjectNode options() {
    return options;
  }

  public void options(ObjectNode o) {
    options = o;
  }

  /** Whether a {@code router} filter already decided recipient {@code i} (first match wins). */
  public boolean routed(int i) {
    return routed.get(i);
  }

  public void markRouted(int i) {
    routed.set(i);
  }

  /** Signals of filters (spec §5.4), keyed by filter name; persisted with the attempt. */
  public ObjectNode filterOutput() {
    return filterOutput;
  }

  public boolean cancelled() {
    return cancelled;
  }

  public void cancel() {
    cancelled = true;
  }

  // ------------------------------------------------------------ SMTP preconditions (§5.1)

  /** True once nothing more can happen: MAIL failed, data answered, or every rcpt failed with a body. */
  public boolean done() {
    if (mailResponse != null && !mailResponse.ok()) {
      return true;
    }
    if (dataResponse != null) {
      return true;
    }
    return body != null && !rcptTo.isEmpty() && rcptResponse.stream()
        .allMatch(r -> r != null && !r.ok());
  }

  /** Fills the responses that follow from others: rcpts after a MAIL error, data after all rcpts failed. */
  public void fillPreconditions() {
    if (mailResponse != null && !mailResponse.ok()) {
      for (int i = 0; i < rcptResponse.size(); i++) {
        rcptResponse(i, new Response(503, "5.5.1 failed precondition: MAIL"));
      }
      if (body != null) {
        dataResponse(new Response(503, "5.5.1 failed precondition: MAIL"));
      }
      return;
    }
    if (body != null && !rcptTo.isEmpty()
        && rcptResponse.stream().allMatch(r -> r != null && !r.ok())) {
      dataResponse(new Response(503, "5.5.1 failed precondition: all rcpts failed"));
    }
  }

  /** Answers every request of {@code delta} that has no response yet with {@code r}. */
  public void fillUnanswered(Delta delta, Response r) {
    if (delta.mailFrom()) {
      mailResponse(r);
    }
    for (int i : delta.rcpts()) {
      rcptResponse(i, r);
    }
    if (delta.body()) {
      dataResponse(r);
    }
  }
}
