package net.koukan.spf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.koukan.config.Cidr;
import net.koukan.dns.Dns;

/**
 * {@code check_host()} of RFC 7208 over our {@link Dns}: record selection (§4.5), the mechanisms
 * and modifiers of §5–6, macros (§7), and the processing limits of §4.6.4 (10 lookup terms, 10 MX
 * names, 10 PTR names, 2 void lookups), so a hostile record cannot make us query without end.
 * One instance per check: it counts the lookups.
 */
public final class SpfEvaluator {

  /** A result with the domain it is about, the explanation of a fail, and what went wrong. */
  public record Outcome(SpfResult result, String domain, String explanation, String problem) {}

  static final int MAX_LOOKUPS = 10;
  static final int MAX_VOID = 2;
  static final int MAX_NAMES = 10;

  private final Dns dns;
  private final Clock clock;
  private final String receiver;
  private int lookups;
  private int voids;

  /** @param receiver this host's name, for the {@code %{r}} macro of explanations */
  public SpfEvaluator(Dns dns, Clock clock, String receiver) {
    this.dns = dns;
    this.clock = clock;
    this.receiver = receiver;
  }

  /**
   * Checks {@code ip} against the SPF policy of {@code domain}. {@code sender} is the MAIL FROM
   * address ({@code postmaster@helo} for the null reverse path; a missing local part is
   * {@code postmaster}).
   */
  public Outcome check(InetAddress ip, String domain, String sender, String helo) {
    String d = normalize(domain);
    String s = sender == null || sender.isEmpty() ? "postmaster@" + (helo == null ? d : helo) : sender;
    if (s.startsWith("@")) {
      s = "postmaster" + s;
    }
    if (!s.contains("@")) {
      s = "postmaster@" + s;
    }
    lookups = 0;
    voids = 0;
    Macro.Context c = new Macro.Context(ip, s, d, helo, receiver, clock.millis() / 1000, () -> "unknown");
    try {
      Evaluated e = checkHost(c, d);
      return new Outcome(e.result, d, e.explanation, e.problem);
    } catch (SpfException e) {
      return new Outcome(e.result, d, null, e.getMessage());
    }
  }

  private record Evaluated(SpfResult result, String explanation, String problem) {}

  private Evaluated checkHost(Macro.Context outer, String domain) throws SpfException {
    if (!validDomain(domain)) {
      return new Evaluated(SpfResult.NONE, null, "not a domain: " + domain);
    }
    Macro.Context c = new Macro.Context(outer.ip(), outer.sender(), domain, outer.helo(), outer.receiver(),
        outer.timestamp(), () -> validatedName(outer.ip(), domain));
    Dns.Result<String> txt = dns.txt(domain);
    if (txt.status() == Dns.Status.TEMP) {
      throw SpfException.temp("DNS error looking up SPF for " + domain + ": " + txt.detail());
    }
    List<String> records = new ArrayList<>();
    for (String t : txt.data()) {
      if (SpfRecord.isSpf(t)) {
        records.add(t);
      }
    }
    if (records.isEmpty()) {
      return new Evaluated(SpfResult.NONE, null, "no SPF record for " + domain);
    }
    if (records.size() > 1) {
      throw SpfException.perm("more than one SPF record for " + domain);
    }
    SpfRecord record;
    try {
      record = SpfRecord.parse(records.get(0));
    } catch (SpfException e) {
      throw SpfException.perm(domain + ": " + e.getMessage());
    }
    for (SpfRecord.Directive dir : record.directives()) {
      if (dir.mechanism().countsLookup()) {
        countLookup();
      }
      if (matches(c, domain, dir.mechanism())) {
        SpfResult r = dir.qualifier().result;
        String explanation = r == SpfResult.FAIL && record.exp() != null ? explain(c, record.exp()) : null;
        return new Evaluated(r, explanation, null);
      }
    }
    if (record.redirect() != null) {
      countLookup();
      String target = target(c, record.redirect());
      Evaluated e = checkHost(c, target);
      if (e.result == SpfResult.NONE) {
        throw SpfException.perm("redirect to " + target + ": " + e.problem);
      }
      return e;
    }
    return new Evaluated(SpfResult.NEUTRAL, null, null);
  }

  private boolean matches(Macro.Context c, String domain, SpfRecord.Mechanism m) throws SpfException {
    InetAddress ip = c.ip();
    boolean v6 = !(ip instanceof Inet4Address);
    return switch (m) {
      case SpfRecord.All all -> true;
      case SpfRecord.Ip x -> x.network().getAddress().length == ip.getAddress().length
          && new Cidr(x.network().getAddress(), x.prefix()).contains(ip);
      case SpfRecord.Include inc -> {
        String target = target(c, inc.domain());
        Evaluated e = checkHost(c, target);
        yield switch (e.result) {
          case PASS -> true;
          case FAIL, SOFTFAIL, NEUTRAL -> false;
          case TEMPERROR -> throw SpfException.temp("include:" + target + ": " + e.problem);
          case PERMERROR, NONE -> throw SpfException.perm("include:" + target + ": " + e.problem);
        };
      }
      case SpfRecord.A a -> {
        String target = a.domain() == null ? domain : target(c, a.domain());
        yield anyIn(addresses(target, v6, true), ip, v6 ? a.cidr6() : a.cidr4());
      }
      case SpfRecord.Mx mx -> {
        String target = mx.domain() == null ? domain : target(c, mx.domain());
        Dns.Result<Dns.Mx> r = dns.mx(target);
        if (r.status() == Dns.Status.TEMP) {
          throw SpfException.temp("MX " + target + ": " + r.detail());
        }
        if (r.status() == Dns.Status.NX || r.data().isEmpty()) {
          countVoid(target);
          yield false;
        }
        if (r.data().size() > MAX_NAMES) {
          throw SpfException.perm("MX " + target + ": more than " + MAX_NAMES + " MX records");
        }
        for (Dns.Mx x : r.data()) {
          if (anyIn(addresses(x.host(), v6, false), ip, v6 ? mx.cidr6() : mx.cidr4())) {
            yield true;
          }
        }
        yield false;
      }
      case SpfRecord.Ptr p -> {
        String target = normalize(p.domain() == null ? domain : target(c, p.domain()));
        yield validatedNames(ip).stream().anyMatch(n -> n.equals(target) || n.endsWith("." + target));
      }
      case SpfRecord.Exists e -> {
        String target = target(c, e.domain());
        List<InetAddress> a = addresses(target, false, true);
        yield !a.isEmpty();
      }
    };
  }

  private List<InetAddress> addresses(String host, boolean v6, boolean countVoid) throws SpfException {
    Dns.Result<InetAddress> r = dns.addresses(host, v6);
    if (r.status() == Dns.Status.TEMP) {
      throw SpfException.temp((v6 ? "AAAA " : "A ") + host + ": " + r.detail());
    }
    if (r.data().isEmpty() && countVoid) {
      countVoid(host);
    }
    return r.data();
  }

  private static boolean anyIn(List<InetAddress> addresses, InetAddress ip, int prefix) {
    for (InetAddress a : addresses) {
      if (a.getAddress().length == ip.getAddress().length && new Cidr(a.getAddress(), prefix).contains(ip)) {
        return true;
      }
    }
    return false;
  }

  /** The PTR names of {@code ip} that resolve back to it (at most 10 tried, §4.6.4). */
  private List<String> validatedNames(InetAddress ip) {
    Dns.Result<String> ptr = dns.ptr(ip);
    List<String> out = new ArrayList<>();
    if (ptr.status() != Dns.Status.OK) {
      return out; // a DNS error on the PTR makes ptr not match (§5.5)
    }
    boolean v6 = !(ip instanceof Inet4Address);
    int n = 0;
    for (String name : ptr.data()) {
      if (++n > MAX_NAMES) {
        break;
      }
      Dns.Result<InetAddress> fwd = dns.addresses(name, v6);
      if (fwd.data().contains(ip)) {
        out.add(normalize(name));
      }
    }
    return out;
  }

  private String validatedName(InetAddress ip, String domain) {
    List<String> names = validatedNames(ip);
    for (String n : names) {
      if (n.equals(domain) || n.endsWith("." + domain)) {
        return n;
      }
    }
    return names.isEmpty() ? "unknown" : names.get(0);
  }

  private String explain(Macro.Context c, String exp) {
    try {
      String target = target(c, exp);
      Dns.Result<String> txt = dns.txt(target);
      if (txt.status() != Dns.Status.OK || txt.data().size() != 1) {
        return null;
      }
      return Macro.expand(txt.data().get(0), c, true, "exp=" + exp);
    } catch (SpfException e) {
      return null; // a broken explanation is ignored (§6.2)
    }
  }

  /** Expands a domain-spec; over 253 characters, labels are dropped from the left (§7.3). */
  private static String target(Macro.Context c, String spec) throws SpfException {
    String d = normalize(Macro.expand(spec, c, false, spec));
    while (d.length() > 253 && d.indexOf('.') >= 0) {
      d = d.substring(d.indexOf('.') + 1);
    }
    return d;
  }

  private void countLookup() throws SpfException {
    if (++lookups > MAX_LOOKUPS) {
      throw SpfException.perm("more than " + MAX_LOOKUPS + " DNS-querying terms");
    }
  }

  private void countVoid(String name) throws SpfException {
    if (++voids > MAX_VOID) {
      throw SpfException.perm("more than " + MAX_VOID + " void lookups (last: " + name + ")");
    }
  }

  static String normalize(String d) {
    String s = d.toLowerCase(Locale.ROOT);
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** A multi-label name with labels of 1–63 characters, at most 253 in all (§4.3). */
  static boolean validDomain(String d) {
    if (d.isEmpty() || d.length() > 253) {
      return false;
    }
    String[] labels = d.split("\\.", -1);
    if (labels.length < 2) {
      return false;
    }
    for (String l : labels) {
      if (l.isEmpty() || l.length() > 63) {
        return false;
      }
    }
    return true;
  }
}
