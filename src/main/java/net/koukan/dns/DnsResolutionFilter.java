package net.koukan.dns;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Required;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;

/**
 * {@code filter: dns_resolution} (spec §5.3): replaces the host names of the routed
 * {@code resolution} that this stanza matches ({@code suffix}: names ending with it, {@code ""} =
 * all; {@code literal}: exactly that name) with IP:port entries: MX targets by preference, each
 * with its A then AAAA addresses, duplicates removed; a domain without MX is its own host; a null
 * MX or NXDOMAIN is NX, a timeout or SERVFAIL TEMP, and then the resolution is left unset for a
 * policy to decide. {@code static_hosts} replaces matching names without DNS (tests, smart
 * hosts). It also records signals: {@code mail_result} for the MAIL FROM domain and
 * {@code rcpt_result} per recipient (OK/NX/TEMP), and {@code resolution_result}, under
 * {@code dns_resolution} in the filter output.
 */
public final class DnsResolutionFilter implements Filter {

  /** YAML options. */
  public record Options(List<HostEntry> staticHosts, String suffix, String literal, String resolver,
      @Default("5") Duration timeout, @Default("true") boolean signals) {}

  /** A static host. */
  public record HostEntry(@Required String host, @Required Integer port) {}

  /** {@code filter: dns_resolution}. */
  public static final class Factory implements FilterFactory {
    @Override
    public String name() {
      return "dns_resolution";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.suffix() != null && o.literal() != null) {
        throw stanza.error("literal", "give suffix or literal, not both");
      }
      Dns dns;
      try {
        dns = new Dns(o.resolver() == null ? null : Dns.parseServer(o.resolver()), o.timeout());
      } catch (RuntimeException e) {
        throw stanza.error("resolver", "bad resolver: " + e.getMessage());
      }
      List<HostPort> statics = o.staticHosts() == null ? null
          : o.staticHosts().stream().map(h -> new HostPort(h.host(), h.port())).toList();
      return () -> new DnsResolutionFilter(dns, o, statics);
    }
  }

  static final String KEY = "dns_resolution";
  private final Dns dns;
  private final Options options;
  private final List<HostPort> statics;
  private boolean resolved;

  DnsResolutionFilter(Dns dns, Options options, List<HostPort> statics) {
    this.dns = dns;
    this.options = options;
    this.statics = statics;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    ObjectNode out = tx.filterOutput().has(KEY) ? (ObjectNode) tx.filterOutput().get(KEY)
        : tx.filterOutput().putObject(KEY);
    if (options.signals()) {
      if (delta.mailFrom() && tx.mailFrom() != null) {
        String d = tx.mailFrom().domain();
        out.put("mail_result", d.isEmpty() ? "OK" : status(d).name());
      }
      ArrayNode rcpts = out.has("rcpt_result") ? (ArrayNode) out.get("rcpt_result") : out.putArray("rcpt_result");
      for (int i : delta.rcpts()) {
        while (rcpts.size() <= i) {
          rcpts.addNull();
        }
        Mailbox r = tx.rcptTo().get(i);
        rcpts.set(i, r.domain().isEmpty() ? null : rcpts.textNode(status(r.domain()).name()));
      }
    }
    if (!resolved && tx.resolution() != null) {
      resolved = true;
      resolve(tx, out);
    }
    next.update(tx, delta);
  }

  private Dns.Status status(String domain) {
    if (isLiteral(domain)) {
      return Dns.Status.OK;
    }
    return dns.domainStatus(domain);
  }

  private boolean matches(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (options.literal() != null) {
      return h.equals(options.literal().toLowerCase(Locale.ROOT));
    }
    String suffix = options.suffix() == null ? "" : options.suffix().toLowerCase(Locale.ROOT);
    return h.endsWith(suffix);
  }

  private void resolve(FilterTx tx, ObjectNode out) {
    Set<HostPort> hosts = new LinkedHashSet<>();
    Dns.Status worst = Dns.Status.OK;
    for (HostPort hp : tx.resolution()) {
      if (isLiteral(hp.host()) || !matches(hp.host())) {
        hosts.add(hp);
        continue;
      }
      if (statics != null) {
        hosts.addAll(statics);
        continue;
      }
      Dns.Result<Dns.Mx> mx = dns.mx(hp.host());
      if (mx.status() != Dns.Status.OK) {
        worst = worse(worst, mx.status());
        continue;
      }
      List<String> targets = new ArrayList<>();
      if (mx.data().isEmpty()) {
        targets.add(hp.host()); // no MX: the domain itself (RFC 5321 §5.1)
      } else {
        mx.data().forEach(m -> targets.add(m.host()));
      }
      boolean any = false;
      Dns.Status hostWorst = Dns.Status.OK;
      for (String t : targets) {
        Dns.Result<InetAddress> a = dns.addresses(t);
        if (a.status() == Dns.Status.OK) {
          any = true;
          a.data().forEach(ip -> hosts.add(new HostPort(ip.getHostAddress(), hp.port())));
        } else {
          hostWorst = worse(hostWorst, a.status());
        }
      }
      if (!any) {
        worst = worse(worst, hostWorst);
      }
    }
    if (hosts.isEmpty()) {
      out.put("resolution_result", (worst == Dns.Status.OK ? Dns.Status.NX : worst).name());
      tx.resolution(null);
      return;
    }
    out.put("resolution_result", "OK");
    tx.resolution(List.copyOf(hosts));
  }

  private static Dns.Status worse(Dns.Status a, Dns.Status b) {
    // TEMP beats NX: some host may come back
    if (a == Dns.Status.TEMP || b == Dns.Status.TEMP) {
      return Dns.Status.TEMP;
    }
    if (a == Dns.Status.NX || b == Dns.Status.NX) {
      return Dns.Status.NX;
    }
    return Dns.Status.OK;
  }

  static boolean isLiteral(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.matches("[0-9.]+") && h.chars().filter(c -> c == '.').count() == 3 || h.contains(":");
  }
}
