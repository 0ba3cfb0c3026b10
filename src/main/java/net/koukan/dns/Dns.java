package net.koukan.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Blocking DNS lookups with a clear outcome: {@link Status#OK} with data, {@link Status#NX} (the
 * name or the data does not exist, or a null MX says the domain takes no mail), {@link Status#TEMP}
 * (timeout, SERVFAIL: try later). Answers are cached for their TTL.
 */
public final class Dns {

  /** The outcome of a lookup. */
  public enum Status { OK, NX, TEMP }

  /** An outcome with its data (empty unless OK). */
  public record Result<T>(Status status, List<T> data, String detail) {
    static <T> Result<T> of(Status s, String detail) {
      return new Result<>(s, List.of(), detail);
    }
  }

  /** One MX target. */
  public record Mx(int preference, String host) {}

  private final Resolver resolver;
  private final Cache cache = new Cache(DClass.IN);

  /** {@code server} null: the system's resolver (from /etc/resolv.conf). */
  public Dns(InetSocketAddress server, Duration timeout) {
    try {
      SimpleResolver r = server == null ? new SimpleResolver() : new SimpleResolver(server);
      r.setTimeout(timeout);
      resolver = r;
    } catch (UnknownHostException e) {
      throw new IllegalStateException("no DNS resolver: " + e.getMessage(), e);
    }
  }

  /** The underlying dnsjava resolver (for libraries that take one, like jSPF). */
  public Resolver resolver() {
    return resolver;
  }

  /** Parses "host:port" or "host" (port 53). */
  public static InetSocketAddress parseServer(String s) {
    int colon = s.lastIndexOf(':');
    if (colon > 0 && s.indexOf(':') == colon) {
      return new InetSocketAddress(s.substring(0, colon), Integer.parseInt(s.substring(colon + 1)));
    }
    return new InetSocketAddress(s, 53);
  }

  private Lookup lookup(String name, int type) throws TextParseException {
    String fqdn = name.endsWith(".") ? name : name + ".";
    Lookup l = new Lookup(Name.fromString(fqdn), type);
    l.setResolver(resolver);
    l.setCache(cache);
    l.setSearchPath((Name[]) null);
    return l;
  }

  /** MX records sorted by preference; a null MX (RFC 7505) is NX; no MX records is OK with none. */
  public Result<Mx> mx(String domain) {
    try {
      Lookup l = lookup(domain, Type.MX);
      Record[] rs = l.run();
      switch (l.getResult()) {
        case Lookup.SUCCESSFUL -> {
          List<Mx> out = new ArrayList<>();
          for (Record r : rs) {
            MXRecord mx = (MXRecord) r;
            String target = mx.getTarget().toString(true);
            if (target.isEmpty() || target.equals(".")) {
              return Result.of(Status.NX, "null MX: " + domain + " accepts no mail");
            }
            out.add(new Mx(mx.getPriority(), target));
          }
          out.sort(Comparator.comparingInt(Mx::preference));
          return new Result<>(Status.OK, out, null);
        }
        case Lookup.TYPE_NOT_FOUND -> {
          return new Result<>(Status.OK, List.of(), "no MX records");
        }
        case Lookup.HOST_NOT_FOUND -> {
          return Result.of(Status.NX, domain + ": no such domain");
        }
        default -> {
          return Result.of(Status.TEMP, domain + ": " + l.getErrorString());
        }
      }
    } catch (TextParseException e) {
      return Result.of(Status.NX, "not a domain name: " + domain);
    }
  }

  /** A then AAAA addresses of a host. */
  public Result<InetAddress> addresses(String host) {
    List<InetAddress> out = new ArrayList<>();
    boolean temp = false;
    boolean exists = false;
    String detail = null;
    for (int type : new int[] {Type.A, Type.AAAA}) {
      try {
        Lookup l = lookup(host, type);
        Record[] rs = l.run();
        switch (l.getResult()) {
          case Lookup.SUCCESSFUL -> {
            exists = true;
            for (Record r : rs) {
              out.add(r instanceof ARecord a ? a.getAddress() : ((AAAARecord) r).getAddress());
            }
          }
          case Lookup.TYPE_NOT_FOUND -> exists = true;
          case Lookup.HOST_NOT_FOUND -> detail = host + ": no such host";
          default -> {
            temp = true;
            detail = host + ": " + l.getErrorString();
          }
        }
      } catch (TextParseException e) {
        return Result.of(Status.NX, "not a host name: " + host);
      }
    }
    if (!out.isEmpty()) {
      return new Result<>(Status.OK, out, null);
    }
    if (temp) {
      return Result.of(Status.TEMP, detail);
    }
    return Result.of(Status.NX, exists ? host + ": no addresses" : detail);
  }

  /**
   * The TXT records of a name, each record's character-strings concatenated (RFC 7208 §3.3).
   * A name with no TXT records is OK with none.
   */
  public Result<String> txt(String name) {
    try {
      Lookup l = lookup(name, Type.TXT);
      Record[] rs = l.run();
      return switch (l.getResult()) {
        case Lookup.SUCCESSFUL -> {
          List<String> out = new ArrayList<>();
          for (Record r : rs) {
            if (r instanceof TXTRecord t) {
              out.add(String.join("", t.getStrings()));
            }
          }
          yield new Result<>(Status.OK, out, null);
        }
        case Lookup.TYPE_NOT_FOUND -> new Result<>(Status.OK, List.of(), "no TXT records");
        case Lookup.HOST_NOT_FOUND -> Result.of(Status.NX, name + ": no such domain");
        default -> Result.of(Status.TEMP, name + ": " + l.getErrorString());
      };
    } catch (TextParseException e) {
      return Result.of(Status.NX, "not a domain name: " + name);
    }
  }

  /**
   * The A ({@code ipv6} false) or AAAA records of a host. A host without records of that type is
   * OK with none; NX only when the name does not exist.
   */
  public Result<InetAddress> addresses(String host, boolean ipv6) {
    try {
      Lookup l = lookup(host, ipv6 ? Type.AAAA : Type.A);
      Record[] rs = l.run();
      return switch (l.getResult()) {
        case Lookup.SUCCESSFUL -> {
          List<InetAddress> out = new ArrayList<>();
          for (Record r : rs) {
            if (r instanceof ARecord a) {
              out.add(a.getAddress());
            } else if (r instanceof AAAARecord a) {
              out.add(a.getAddress());
            }
          }
          yield new Result<>(Status.OK, out, null);
        }
        case Lookup.TYPE_NOT_FOUND -> new Result<>(Status.OK, List.of(), "no addresses");
        case Lookup.HOST_NOT_FOUND -> Result.of(Status.NX, host + ": no such host");
        default -> Result.of(Status.TEMP, host + ": " + l.getErrorString());
      };
    } catch (TextParseException e) {
      return Result.of(Status.NX, "not a host name: " + host);
    }
  }

  /** The PTR names of an address (without the trailing dot). */
  public Result<String> ptr(InetAddress address) {
    Lookup l = new Lookup(org.xbill.DNS.ReverseMap.fromAddress(address), Type.PTR);
    l.setResolver(resolver);
    l.setCache(cache);
    Record[] rs = l.run();
    return switch (l.getResult()) {
      case Lookup.SUCCESSFUL -> {
        List<String> names = new ArrayList<>();
        for (Record r : rs) {
          names.add(((org.xbill.DNS.PTRRecord) r).getTarget().toString(true));
        }
        yield new Result<>(Status.OK, names, null);
      }
      case Lookup.HOST_NOT_FOUND, Lookup.TYPE_NOT_FOUND -> Result.of(Status.NX, "no PTR for " + address.getHostAddress());
      default -> Result.of(Status.TEMP, "PTR " + address.getHostAddress() + ": " + l.getErrorString());
    };
  }

  /** Whether a mail domain can receive mail: MX, or failing that an address (RFC 5321 §5.1). */
  public Status domainStatus(String domain) {
    Result<Mx> mx = mx(domain);
    if (mx.status() != Status.OK) {
      return mx.status();
    }
    if (!mx.data().isEmpty()) {
      return Status.OK;
    }
    return addresses(domain).status();
  }
}
