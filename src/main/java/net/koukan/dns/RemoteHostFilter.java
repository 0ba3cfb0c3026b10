package net.koukan.dns;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;

/**
 * {@code filter: remote_host} (spec §5.3): at MAIL, looks up the SMTP client's address: PTR names,
 * whether one of them resolves back to the address (forward-confirmed reverse DNS), and whether
 * the EHLO name is that name. Records {@code remote_host: {status OK|NOT_FOUND, ptr, fcrdns,
 * ehlo_alignment}}; policies decide. A DNS failure on the PTR or on every forward lookup answers
 * MAIL with 450 (the client retries), as the reference. Transactions without a remote host (REST)
 * pass untouched.
 */
public final class RemoteHostFilter implements Filter {

  /** YAML options. */
  public record Options(String resolver, @Default("5") Duration timeout) {}

  /** {@code filter: remote_host}. */
  public static final class Factory implements FilterFactory {
    @Override
    public String name() {
      return "remote_host";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      Dns dns;
      try {
        dns = new Dns(o.resolver() == null ? null : Dns.parseServer(o.resolver()), o.timeout());
      } catch (RuntimeException e) {
        throw stanza.error("resolver", "bad resolver: " + e.getMessage());
      }
      return () -> new RemoteHostFilter(dns);
    }
  }

  static final String KEY = "remote_host";
  private final Dns dns;

  RemoteHostFilter(Dns dns) {
    this.dns = dns;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom() && tx.remoteHost() != null && DnsResolutionFilter.isLiteral(tx.remoteHost().host())) {
      Response fail = check(tx);
      if (fail != null) {
        tx.mailResponse(fail);
        return;
      }
    }
    next.update(tx, delta);
  }

  private Response check(FilterTx tx) {
    ObjectNode out = tx.filterOutput().putObject(KEY);
    InetAddress ip;
    try {
      ip = InetAddress.getByName(tx.remoteHost().host()); // a literal: no DNS
    } catch (java.net.UnknownHostException e) {
      return null;
    }
    Dns.Result<String> ptr = dns.ptr(ip);
    if (ptr.status() == Dns.Status.TEMP) {
      out.put("status", "TEMP");
      return new Response(450, "4.4.3 RemoteHostFilter ptr err");
    }
    if (ptr.status() == Dns.Status.NX || ptr.data().isEmpty()) {
      out.put("status", "NOT_FOUND");
      out.put("fcrdns", false);
      out.put("ehlo_alignment", false);
      return null;
    }
    out.put("status", "OK");
    var names = out.putArray("ptr");
    ptr.data().forEach(names::add);
    boolean fcrdns = false;
    boolean allTemp = true;
    String confirmed = null;
    for (String name : ptr.data()) {
      Dns.Result<InetAddress> fwd = dns.addresses(name);
      if (fwd.status() != Dns.Status.TEMP) {
        allTemp = false;
      }
      if (fwd.data().contains(ip)) {
        fcrdns = true;
        confirmed = name;
        break;
      }
    }
    if (allTemp && !fcrdns) {
      return new Response(450, "4.4.3 RemoteHostFilter fwd err");
    }
    out.put("fcrdns", fcrdns);
    if (confirmed != null) {
      out.put("hostname", confirmed);
    }
    String ehlo = tx.smtpMeta() == null ? null : tx.smtpMeta().path("ehlo_host").asText(null);
    String name = confirmed != null ? confirmed : ptr.data().get(0);
    out.put("ehlo_alignment", ehlo != null && strip(ehlo).equalsIgnoreCase(strip(name)));
    return null;
  }

  private static String strip(String n) {
    String s = n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    return s.toLowerCase(Locale.ROOT);
  }
}
