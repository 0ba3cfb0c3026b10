package net.koukan.dkim;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * {@link TxtResolver} over dnsjava: one recursive resolver (the configured address, else the
 * system's from /etc/resolv.conf), each query bounded by {@code timeout} (dnsjava falls back to
 * TCP for truncated answers), answers cached for their TTL. NXDOMAIN and "no TXT records" are
 * {@link Status#NX}; timeouts, SERVFAIL and other failures are {@link Status#TEMP}.
 */
public final class DnsjavaTxtResolver implements TxtResolver {
  private final SimpleResolver resolver;
  private final Cache cache = new Cache(DClass.IN);

  /** {@code server} null: the system's resolver. */
  public DnsjavaTxtResolver(InetSocketAddress server, Duration timeout) {
    try {
      resolver = server == null ? new SimpleResolver() : new SimpleResolver(server);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("no DNS resolver: " + e.getMessage(), e);
    }
    resolver.setTimeout(timeout);
  }

  /**
   * Parses {@code ip:port}, {@code [ipv6]:port}, or a bare IP address (port 53). Names are refused:
   * the resolver's own address cannot depend on DNS.
   */
  public static InetSocketAddress parseServer(String s) {
    String host = s;
    int port = 53;
    try {
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("missing ']' in " + s);
        }
        host = s.substring(1, close);
        if (close + 1 < s.length()) {
          if (s.charAt(close + 1) != ':') {
            throw new IllegalArgumentException("expected ':' after ']' in " + s);
          }
          port = Integer.parseInt(s.substring(close + 2));
        }
      } else if (s.indexOf(':') > 0 && s.indexOf(':') == s.lastIndexOf(':')) {
        host = s.substring(0, s.indexOf(':'));
        port = Integer.parseInt(s.substring(s.indexOf(':') + 1));
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in " + s);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("bad port in " + s);
    }
    boolean v4 = host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    boolean v6 = host.contains(":") && host.matches("[0-9A-Fa-f:.]+");
    if (!v4 && !v6) {
      throw new IllegalArgumentException("not an IP address: " + host);
    }
    try {
      return new InetSocketAddress(java.net.InetAddress.getByName(host), port); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + host);
    }
  }

  @Override
  public Result txt(String name) {
    Lookup l;
    try {
      l = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), Type.TXT);
    } catch (TextParseException e) {
      return Result.nx("not a domain name: " + name);
    }
    l.setResolver(resolver);
    l.setCache(cache);
    l.setSearchPath((Name[]) null);
    Record[] rs = l.run();
    return switch (l.getResult()) {
      case Lookup.SUCCESSFUL -> {
        List<String> out = new ArrayList<>();
        for (Record r : rs) {
          if (r instanceof TXTRecord txt) {
            StringBuilder sb = new StringBuilder();
            for (byte[] s : txt.getStringsAsByteArrays()) {
              sb.append(new String(s, StandardCharsets.ISO_8859_1));
            }
            out.add(sb.toString());
          }
        }
        yield out.isEmpty() ? Result.nx(name + ": no TXT records") : Result.ok(out);
      }
      case Lookup.HOST_NOT_FOUND -> Result.nx(name + ": no such name");
      case Lookup.TYPE_NOT_FOUND -> Result.nx(name + ": no TXT records");
      default -> Result.temp(name + ": " + l.getErrorString());
    };
  }
}
