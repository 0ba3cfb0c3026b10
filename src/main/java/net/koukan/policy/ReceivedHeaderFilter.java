package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import net.koukan.config.Cidr;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.filter.PrependedBlob;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;

/**
 * {@code filter: received_header} (spec §5.3): prepends to the finished message
 * <pre>
 * Received: from EHLO (RDNS [IP])
 * 	by HOST
 * 	with PROTO
 * 	for RCPT;
 * 	DATE
 * </pre>
 * folded with CRLF TAB before each clause. {@code from} only when the EHLO name and the client's
 * IP address are known; RDNS only when the {@code remote_host} signal says forward-confirmed.
 * PROTO (RFC 3848, RFC 6531): {@code UTF8SMTP} if MAIL had SMTPUTF8, else {@code ESMTP} or
 * {@code SMTP} by EHLO vs HELO, then {@code S} with TLS and {@code A} with AUTH; transactions
 * that did not come over SMTP (no smtp_meta: REST) say {@code X-RESTMTP}, and name the client
 * by its confirmed PTR name or its IP. {@code for} only with exactly one recipient. HOST is
 * {@code received_hostname}, by default this host's name. The body is not copied: the header
 * is streamed in front of it. Nothing happens to a cancelled transaction, and a
 * message-builder body passes unchanged (put {@code message_builder} first).
 */
public final class ReceivedHeaderFilter implements Filter {

  /** YAML options. */
  public record Options(String receivedHostname) {}

  /** {@code filter: received_header}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final String hostname;

    /**
     * @param clock the time of the header (and its zone)
     * @param hostname HOST when the stanza has no {@code received_hostname}
     */
    public Factory(Clock clock, String hostname) {
      this.clock = clock;
      this.hostname = hostname;
    }

    @Override
    public String name() {
      return "received_header";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      String host = o.receivedHostname() != null ? o.receivedHostname() : hostname;
      if (host == null || host.isEmpty() || !clean(host).equals(host)) {
        throw stanza.error("received_hostname",
            "must be a host name without spaces or control characters, not '" + host + "'");
      }
      return () -> new ReceivedHeaderFilter(clock, host);
    }
  }

  /** RFC 5322 date-time, e.g. {@code Wed, 07 Feb 2024 14:47:24 -0800}. */
  static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss xx", Locale.US);

  private final Clock clock;
  private final String host;

  ReceivedHeaderFilter(Clock clock, String host) {
    this.clock = clock;
    this.host = host;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.body() && !tx.cancelled() && tx.body() instanceof Body.Raw raw) {
      byte[] header = header(tx).getBytes(StandardCharsets.UTF_8);
      tx.rewriteBody(new Body.Raw(new PrependedBlob(header, raw.blob())));
    }
    next.update(tx, delta);
  }

  /** The header field with its CRLF. */
  String header(FilterTx tx) {
    String ip = tx.remoteHost() == null ? null : literal(tx.remoteHost().host());
    String rdns = confirmedName(tx);
    String ehlo;
    String proto;
    ObjectNode meta = tx.smtpMeta();
    if (meta != null) {
      ehlo = clean(meta.path("ehlo_host").asText(""));
      proto = smtputf8(tx.mailFrom()) ? "UTF8SMTP" : meta.path("esmtp").asBoolean(false) ? "ESMTP" : "SMTP";
      if (meta.path("tls").asBoolean(false)) {
        proto += "S";
      }
      if (meta.path("auth").asBoolean(false)) {
        proto += "A";
      }
    } else {
      ehlo = rdns != null ? rdns : ip;
      proto = "X-RESTMTP";
    }
    List<String> clauses = new ArrayList<>();
    if (ehlo != null && !ehlo.isEmpty() && ip != null) {
      clauses.add("from " + ehlo + " (" + (rdns != null ? rdns + " " : "") + ip + ")");
    }
    clauses.add("by " + host);
    clauses.add("with " + proto);
    if (tx.rcptTo().size() == 1) {
      clauses.add("for " + clean(tx.rcptTo().get(0).address()));
    }
    return "Received: " + String.join("\r\n\t", clauses) + ";\r\n\t"
        + DATE.format(ZonedDateTime.now(clock)) + "\r\n";
  }

  static boolean smtputf8(Mailbox from) {
    if (from == null) {
      return false;
    }
    for (EsmtpParam p : from.params()) {
      if (p.keyword().equalsIgnoreCase("SMTPUTF8")) {
        return true;
      }
    }
    return false;
  }

  /** {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]} for an IP literal, else null. */
  static String literal(String host) {
    if (host == null || host.contains("/") || !Cidr.valid(host)) {
      return null;
    }
    return host.contains(":") ? "[IPv6:" + host + "]" : "[" + host + "]";
  }

  /** The client's forward-confirmed PTR name from the remote_host signal, without the final dot. */
  static String confirmedName(FilterTx tx) {
    JsonNode s = Signals.get(tx, Signals.REMOTE_HOST);
    if (s == null || !s.path("fcrdns").asBoolean(false)) {
      return null;
    }
    String name = s.path("hostname").asText(null);
    if (name == null && s.path("ptr").isArray() && !s.path("ptr").isEmpty()) {
      name = s.path("ptr").get(0).asText(null);
    }
    if (name == null) {
      return null;
    }
    name = clean(name);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    return name.isEmpty() ? null : name;
  }

  /** Drops spaces and control characters, which would break the header's structure. */
  static String clean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0x20 && c != 0x7f && !Character.isISOControl(c) && !Character.isWhitespace(c)
          && c != '(' && c != ')' && c != ';') {
        b.append(c);
      }
    }
    return b.toString();
  }
}
