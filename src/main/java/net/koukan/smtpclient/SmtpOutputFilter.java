package net.koukan.smtpclient;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.smtpclient.EsmtpPolicy.Decision;
import net.koukan.smtpclient.SmtpClient.EnvelopeReplies;
import net.koukan.smtpclient.SmtpClientConfig.Protocol;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The terminal filter that delivers a transaction over SMTP or LMTP (spec §6.3). Each update
 * blocks until the peer answered what it was given:
 *
 * <ul>
 *   <li>MAIL: the hosts of the {@code hosts} option, else of {@code tx.resolution()}, in order:
 *       connect, greeting, EHLO (+ STARTTLS), MAIL, with the recipients (and DATA) of the same
 *       update pipelined behind it. A temporary failure (connect error, timeout, 4xx greeting,
 *       EHLO or MAIL) or a 5xx greeting/EHLO refusal (a server that refuses everyone, as Postfix's
 *       {@code smtp_skip_5xx_greeting}) moves on to the next host; the last host's answer is the
 *       MAIL response. A 5xx MAIL, and every local refusal of {@link EsmtpPolicy}, is final.
 *   <li>RCPT: sent on the chosen session (pipelined when possible); each peer reply is that
 *       recipient's response, verbatim but sanitised ({@link Reply#toResponse}).
 *   <li>DATA: only a rendered body ({@link Body.Raw}) and only when a recipient was accepted;
 *       BDAT when the peer offers CHUNKING, else DATA; then QUIT, or (by default) the session
 *       waits in the stanza's {@link SessionCache} for the next transaction to that host,
 *       which starts with RSET instead of a new connection.
 * </ul>
 *
 * <p>Failures never escape {@link #update}: a broken session answers 451 with the reason (and
 * every later request gets the same answer). {@link #close} sends QUIT (closing at once when the
 * session is broken) and answers what is left with 450 cancelled.
 *
 * <p><b>LMTP limitation.</b> An LMTP server answers the body once per accepted recipient, but a
 * transaction has a single data response: it is the reply for the first accepted recipient. The
 * others are logged (a warning when they differ) and kept in the filter output under {@code
 * smtp_output.lmtp_data}; a recipient whose own reply failed while the first succeeded is not
 * retried. Send one recipient per LMTP transaction when that matters.
 */
public final class SmtpOutputFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(SmtpOutputFilter.class);

  static final String PREFIX = EsmtpPolicy.PREFIX;
  static final Response CANCELLED = new Response(450, "4.3.0 smtp_output: cancelled");
  static final Response NO_HOST = new Response(451, "4.4.4 smtp_output: no host to deliver to");
  static final Response BUILDER_NOT_RENDERED =
      new Response(554, "5.6.0 smtp_output: message_builder body must be rendered first");
  static final Response NO_VALID_RCPTS = new Response(554, "5.5.1 smtp_output: no valid recipients");
  static final Response NO_MAIL = new Response(503, "5.5.1 failed precondition: MAIL");
  static final Response INTERNAL = new Response(450, "4.3.0 smtp_output: internal error");
  private static final EnvelopeReplies NOTHING = new EnvelopeReplies(null, List.of(), null, null);

  private final SmtpClientConfig config;
  private final List<HostPort> staticHosts;
  private final int defaultPort;
  /** Idle sessions of this stanza, or null ({@code connection_reuse: false}). */
  private final SessionCache cache;

  private FilterTx tx;
  /** The session of the transaction, from an accepted MAIL until the data response. */
  private SmtpClient client;
  /** Its peer and when it was opened (for the session cache). */
  private String clientPeer;
  private long clientOpened;
  /** Set when the session broke: the answer to every later request. */
  private Response broken;
  private boolean mailSmtpUtf8;
  /** Recipients (tx indices) the peer accepted, in the order it accepted them. */
  private final List<Integer> accepted = new ArrayList<>();
  private ObjectNode output;
  // every request handed to this filter, for close()
  private boolean mailGiven;
  private final Set<Integer> rcptsGiven = new LinkedHashSet<>();
  private boolean bodyGiven;

  SmtpOutputFilter(SmtpClientConfig config, List<HostPort> staticHosts, int defaultPort,
      SessionCache cache) {
    this.config = config;
    this.staticHosts = staticHosts;
    this.defaultPort = defaultPort;
    this.cache = cache;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    this.tx = tx;
    mailGiven |= delta.mailFrom();
    rcptsGiven.addAll(delta.rcpts());
    bodyGiven |= delta.body();
    try {
      if (tx.cancelled()) {
        closeClient();
        tx.fillUnanswered(delta, CANCELLED);
        return;
      }
      if (delta.mailFrom()) {
        mail(delta);
      } else if (!delta.rcpts().isEmpty() || delta.body()) {
        more(delta);
      }
    } catch (RuntimeException e) {
      log.error("smtp_output: unexpected failure", e);
      closeClient();
      broken = INTERNAL;
      tx.fillUnanswered(delta, INTERNAL);
    }
  }

  @Override
  public void close() {
    if (client != null) {
      client.quit();
      client = null;
    }
    if (tx != null) {
      tx.fillUnanswered(new Delta(mailGiven, List.copyOf(rcptsGiven), bodyGiven), CANCELLED);
    }
  }

  // ------------------------------------------------------------------ MAIL

  private void mail(Delta delta) {
    List<HostPort> hosts = hosts();
    if (hosts.isEmpty()) {
      tx.mailResponse(NO_HOST);
      return;
    }
    output = tx.filterOutput().putObject(SmtpOutputFactory.NAME);
    ArrayNode tried = output.putArray("tried");
    Body body = delta.body() ? tx.body() : null;
    for (int i = 0; i < hosts.size(); i++) {
      HostPort h = hosts.get(i);
      boolean last = i == hosts.size() - 1;
      String key = SmtpClient.peer(h.host(), h.port());
      SessionCache.Taken taken = cache == null ? null : cache.take(key);
      SmtpClient c = taken != null ? taken.client() : new SmtpClient(config);
      long opened = taken != null ? taken.opened() : cache == null ? 0 : cache.now();
      boolean sessionRefused = false;
      Response mail;
      try {
        Reply refused = taken != null ? null : c.open(h.host(), h.port());
        if (refused != null) {
          c.quit();
          sessionRefused = true;
          mail = refused.toResponse();
        } else {
          Plan plan = plan(c, true, delta.rcpts(), body);
          if (plan.mailRefusal != null) {
            c.quit();
            note(tried, c, plan.mailRefusal);
            tx.mailResponse(plan.mailRefusal);
            return;
          }
          EnvelopeReplies r = c.envelope(plan.mail, plan.sent, plan.data);
          if (r.mail() == null) {
            throw r.failure();
          }
          mail = r.mail().toResponse();
          if (r.mail().positive()) {
            note(tried, c, mail);
            output.put("host", c.peer());
            output.put("tls", c.tls());
            output.put("esmtp", c.capabilities().esmtp());
            output.put("reused", taken != null);
            tx.mailResponse(mail);
            client = c;
            clientPeer = key;
            clientOpened = opened;
            mailSmtpUtf8 = plan.mail.params().stream().anyMatch(p -> p.keyword().equals("SMTPUTF8"));
            finish(plan, r, body);
            return;
          }
          c.quit();
        }
      } catch (SmtpClientException e) {
        c.close();
        if (e.kind() == SmtpClientException.Kind.INTERRUPTED) {
          tx.fillUnanswered(delta, CANCELLED);
          return;
        }
        mail = e.response(PREFIX);
      }
      note(tried, c, mail);
      if (!last && (mail.temporary() || sessionRefused)) {
        log.info("smtp_output: {} answered {} {}; trying the next host", c.peer(), mail.code(), mail.message());
        continue;
      }
      tx.mailResponse(mail); // recipients and data follow as failed preconditions
      return;
    }
  }

  /** The hosts to try: the static list, else the resolution; port 0 means {@code port}. */
  private List<HostPort> hosts() {
    List<HostPort> src = staticHosts != null ? staticHosts : tx.resolution();
    if (src == null) {
      return List.of();
    }
    return src.stream().map(h -> h.port() == 0 ? new HostPort(h.host(), defaultPort) : h).toList();
  }

  private static void note(ArrayNode tried, SmtpClient c, Response r) {
    tried.addObject().put("host", c.peer()).put("response", r.code() + " " + r.message());
  }

  // ------------------------------------------------------------------ RCPT and DATA

  /** Recipients and/or the body on the open session. */
  private void more(Delta delta) {
    if (broken != null) {
      tx.fillUnanswered(delta, broken);
      return;
    }
    if (client == null) {
      tx.fillUnanswered(delta, NO_MAIL); // the chain stops after a failed MAIL; just in case
      return;
    }
    Body body = delta.body() ? tx.body() : null;
    Plan plan = plan(client, false, delta.rcpts(), body);
    EnvelopeReplies r = plan.sent.isEmpty() && !plan.data ? NOTHING
        : client.envelope(null, plan.sent, plan.data);
    finish(plan, r, body);
  }

  /** What goes on the wire for one update, and what is answered here. */
  private static final class Plan {
    Mailbox mail;
    Response mailRefusal;
    final List<Integer> sentIdx = new ArrayList<>();
    final List<Mailbox> sent = new ArrayList<>();
    final Map<Integer, Response> local = new LinkedHashMap<>();
    Response bodyRefusal;
    /** DATA goes with the envelope commands (pipelined when possible). */
    boolean data;
  }

  private Plan plan(SmtpClient c, boolean withMail, List<Integer> rcpts, Body body) {
    Plan p = new Plan();
    Capabilities caps = c.capabilities();
    boolean utf8 = mailSmtpUtf8;
    if (withMail) {
      long size = body instanceof Body.Raw raw ? raw.blob().length() : -1;
      boolean nonAsciiRcpt = tx.rcptTo().stream().anyMatch(m -> EsmtpPolicy.nonAscii(m.address()));
      Decision d = EsmtpPolicy.mail(tx.mailFrom(), caps, c.peer(), size, nonAsciiRcpt, c.chunking());
      if (d.refusal() != null) {
        p.mailRefusal = d.refusal();
        return p;
      }
      p.mail = d.send();
      utf8 = p.mail.params().stream().anyMatch(x -> x.keyword().equals("SMTPUTF8"));
    }
    for (int i : rcpts) {
      Decision d = EsmtpPolicy.rcpt(tx.rcptTo().get(i), caps, c.peer(), utf8);
      if (d.refusal() != null) {
        p.local.put(i, d.refusal());
      } else {
        p.sentIdx.add(i);
        p.sent.add(d.send());
      }
    }
    if (body != null) {
      p.bodyRefusal = body instanceof Body.Raw raw
          ? EsmtpPolicy.bodySize(caps, c.peer(), raw.blob().length()) : BUILDER_NOT_RENDERED;
      p.data = p.bodyRefusal == null && !c.chunking() && (!accepted.isEmpty() || !p.sent.isEmpty());
    }
    return p;
  }

  /** Applies the recipients' replies, then sends the body when this update carries it. */
  private void finish(Plan p, EnvelopeReplies r, Body body) {
    p.local.forEach(tx::rcptResponse);
    Response failed = r.failure() == null ? null : failure(r.failure());
    for (int k = 0; k < p.sentIdx.size(); k++) {
      int i = p.sentIdx.get(k);
      Reply reply = r.rcpts().get(k);
      if (reply == null) {
        tx.rcptResponse(i, failed != null ? failed : INTERNAL);
        continue;
      }
      Response resp = reply.toResponse();
      tx.rcptResponse(i, resp);
      if (resp.ok()) {
        accepted.add(i);
      }
    }
    if (failed != null) {
      broken = failed;
      closeClient();
    }
    if (body == null) {
      return;
    }
    if (p.bodyRefusal != null) {
      tx.dataResponse(p.bodyRefusal);
    } else if (broken != null) {
      tx.dataResponse(broken);
    } else if (accepted.isEmpty()) {
      tx.dataResponse(NO_VALID_RCPTS);
    } else if (p.data && r.data() != null && r.data().code() != 354) {
      tx.dataResponse(r.data().toResponse());
    } else {
      sendBody((Body.Raw) body);
    }
    releaseClient();
  }

  private void sendBody(Body.Raw raw) {
    List<Reply> replies;
    try {
      replies = client.body(raw.blob());
    } catch (SmtpClientException e) {
      closeClient();
      broken = failure(e);
      tx.dataResponse(broken);
      return;
    }
    Response first = replies.getFirst().toResponse();
    if (config.protocol() == Protocol.LMTP) {
      ArrayNode lmtp = output.putArray("lmtp_data");
      for (int k = 0; k < replies.size(); k++) {
        Response r = replies.get(k).toResponse();
        int idx = k < accepted.size() ? accepted.get(k) : -1;
        lmtp.addObject().put("rcpt", idx).put("code", r.code()).put("message", r.message());
        if (r.code() / 100 != first.code() / 100) {
          log.warn("smtp_output: LMTP {} answered {} for recipient {} but {} for the first; the data"
              + " response is the first's", client.peer(), r, idx, first);
        }
      }
    }
    tx.dataResponse(first);
  }

  private static Response failure(SmtpClientException e) {
    return e.kind() == SmtpClientException.Kind.INTERRUPTED ? CANCELLED : e.response(PREFIX);
  }

  /** The transaction is over: the session goes to the cache for the next one, or QUIT. */
  private void releaseClient() {
    if (client != null) {
      if (cache != null && broken == null) {
        cache.give(clientPeer, client, clientOpened);
      } else {
        client.quit();
      }
      client = null;
    }
  }

  private void closeClient() {
    if (client != null) {
      client.close();
      client = null;
    }
  }
}
