package net.koukan.spf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.Cidr;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.dns.Dns;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.filter.PrependedBlob;

/**
 * {@code filter: spf_check} (spec §5.3, RFC 7208): at MAIL, checks the SMTP client's address
 * against the SPF policy of the MAIL FROM domain (of the EHLO name for the null reverse path) and
 * of each {@code extra_domains} entry, and records the {@code spf_check} signal for
 * {@code policy_action} to decide on; it never rejects by itself. When the body arrives it
 * prepends {@code Authentication-Results: AUTHSERV-ID; spf=RESULT smtp.mailfrom=DOMAIN} (RFC 8601)
 * unless {@code authentication_results: false}. Transactions without a client IP (REST) pass
 * untouched.
 */
public final class SpfCheckFilter implements Filter {

  /**
   * YAML options. {@code domains} is accepted as another name of {@code extra_domains} (the
   * reference's documentation uses it).
   */
  public record Options(List<String> extraDomains, List<String> domains, String resolver,
      @Default("5") Duration timeout, @Default("true") boolean authenticationResults, String authservId) {}

  /** {@code filter: spf_check}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final String hostname;

    public Factory(Clock clock, String hostname) {
      this.clock = clock;
      this.hostname = hostname;
    }

    @Override
    public String name() {
      return "spf_check";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      List<String> extra = new ArrayList<>();
      for (List<String> l : java.util.Arrays.asList(o.extraDomains(), o.domains())) {
        if (l != null) {
          for (String d : l) {
            String n = SpfEvaluator.normalize(d.trim());
            if (!SpfEvaluator.validDomain(n)) {
              throw stanza.error(o.extraDomains() != null ? "extra_domains" : "domains", "not a domain: '" + d + "'");
            }
            extra.add(n);
          }
        }
      }
      String authserv = o.authservId() != null ? o.authservId() : hostname;
      if (authserv == null || !authserv.matches("[A-Za-z0-9._-]+")) {
        throw stanza.error("authserv_id", "must be a host name, not '" + authserv + "'");
      }
      Dns dns;
      try {
        dns = new Dns(o.resolver() == null ? null : Dns.parseServer(o.resolver()), o.timeout());
      } catch (RuntimeException e) {
        throw stanza.error("resolver", "bad resolver: " + e.getMessage());
      }
      List<String> domains = List.copyOf(extra);
      return () -> new SpfCheckFilter(dns, clock, hostname, domains,
          o.authenticationResults() ? authserv : null);
    }
  }

  static final String KEY = "spf_check";
  private final Dns dns;
  private final Clock clock;
  private final String hostname;
  private final List<String> extraDomains;
  private final String authservId;

  SpfCheckFilter(Dns dns, Clock clock, String hostname, List<String> extraDomains, String authservId) {
    this.dns = dns;
    this.clock = clock;
    this.hostname = hostname;
    this.extraDomains = extraDomains;
    this.authservId = authservId;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom()) {
      InetAddress ip = clientIp(tx);
      if (ip != null && tx.mailFrom() != null) {
        check(tx, ip);
      }
    }
    if (delta.body() && authservId != null && !tx.cancelled() && tx.body() instanceof Body.Raw raw) {
      String header = header(tx);
      if (header != null) {
        tx.rewriteBody(new Body.Raw(new PrependedBlob(header.getBytes(StandardCharsets.UTF_8), raw.blob())));
      }
    }
    next.update(tx, delta);
  }

  private void check(FilterTx tx, InetAddress ip) {
    String helo = tx.smtpMeta() == null ? null : tx.smtpMeta().path("ehlo_host").asText(null);
    if (helo != null && (helo.startsWith("[") || helo.isBlank())) {
      helo = null; // an address literal is no domain to check
    }
    String from = tx.mailFrom().address();
    ObjectNode out = tx.filterOutput().putObject(KEY);
    String domain;
    String identity;
    if (from.isEmpty()) {
      domain = helo;
      identity = "helo";
    } else {
      int at = from.lastIndexOf('@');
      domain = at < 0 ? null : from.substring(at + 1);
      identity = "mailfrom";
    }
    if (domain == null) {
      out.put("mail_from_result", SpfResult.NONE.label());
      out.put("mail_from_problem", "no domain to check");
    } else {
      SpfEvaluator.Outcome o = new SpfEvaluator(dns, clock, hostname).check(ip, domain, from, helo);
      out.put("mail_from_result", o.result().label());
      out.put("mail_from_domain", o.domain());
      out.put("identity", identity);
      if (o.problem() != null) {
        out.put("mail_from_problem", o.problem());
      }
      if (o.explanation() != null) {
        out.put("explanation", o.explanation());
      }
    }
    if (!extraDomains.isEmpty()) {
      ObjectNode extra = out.putObject("extra_domains");
      for (String d : extraDomains) {
        extra.put(d, new SpfEvaluator(dns, clock, hostname).check(ip, d, from, helo).result().label());
      }
    }
  }

  /** The header field with its CRLF, or null when no check was made. */
  String header(FilterTx tx) {
    JsonNode s = tx.filterOutput().get(KEY);
    if (s == null || !s.has("mail_from_domain")) {
      return null;
    }
    String prop = "helo".equals(s.path("identity").asText()) ? "smtp.helo" : "smtp.mailfrom";
    String domain = s.path("mail_from_domain").asText();
    if (!domain.matches("[A-Za-z0-9._-]+")) {
      return null; // nothing a header could carry unquoted (SPF found no policy there anyway)
    }
    return "Authentication-Results: " + authservId + ";\r\n\tspf=" + s.path("mail_from_result").asText()
        + " " + prop + "=" + domain + "\r\n";
  }

  /** The client's address when the transaction came from SMTP with an IP literal, else null. */
  static InetAddress clientIp(FilterTx tx) {
    if (tx.remoteHost() == null) {
      return null;
    }
    String h = tx.remoteHost().host();
    if (h == null || h.contains("/") || !Cidr.valid(h)) {
      return null;
    }
    try {
      return InetAddress.getByName(h); // a literal: no DNS
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
