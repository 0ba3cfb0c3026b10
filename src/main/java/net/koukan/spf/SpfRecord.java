package net.koukan.spf;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed SPF record (RFC 7208 §4.6, §5, §6): directives in order, then the {@code redirect} and
 * {@code exp} modifiers. Unknown modifiers are ignored, as the RFC says; anything else that does
 * not parse makes the whole record a permerror, before anything is evaluated.
 */
record SpfRecord(List<Directive> directives, String redirect, String exp) {

  /** {@code +}, {@code -}, {@code ~}, {@code ?}. */
  enum Qualifier {
    PASS(SpfResult.PASS), FAIL(SpfResult.FAIL), SOFTFAIL(SpfResult.SOFTFAIL), NEUTRAL(SpfResult.NEUTRAL);

    final SpfResult result;

    Qualifier(SpfResult result) {
      this.result = result;
    }

    static Qualifier of(char c) {
      return switch (c) {
        case '+' -> PASS;
        case '-' -> FAIL;
        case '~' -> SOFTFAIL;
        case '?' -> NEUTRAL;
        default -> null;
      };
    }
  }

  /** One mechanism of §5. {@code domain} is an unexpanded domain-spec, null for the current domain. */
  sealed interface Mechanism {
    /** Whether evaluating it costs a DNS lookup against the limit of 10 (§4.6.4). */
    default boolean countsLookup() {
      return true;
    }
  }

  record All() implements Mechanism {
    @Override
    public boolean countsLookup() {
      return false;
    }
  }

  record Include(String domain) implements Mechanism {}

  record A(String domain, int cidr4, int cidr6) implements Mechanism {}

  record Mx(String domain, int cidr4, int cidr6) implements Mechanism {}

  record Ptr(String domain) implements Mechanism {}

  record Ip(InetAddress network, int prefix) implements Mechanism {
    @Override
    public boolean countsLookup() {
      return false;
    }
  }

  record Exists(String domain) implements Mechanism {}

  record Directive(Qualifier qualifier, Mechanism mechanism) {}

  private static final Pattern VERSION = Pattern.compile("(?i)v=spf1( .*)?");
  private static final Pattern MODIFIER = Pattern.compile("([A-Za-z][A-Za-z0-9_.-]*)=(.*)");
  private static final Pattern DUAL_CIDR = Pattern.compile("^(.*?)(?:/(\\d+))?(?://(\\d+))?$");

  /** Whether a TXT record is an SPF record: {@code v=spf1} alone or followed by a space. */
  static boolean isSpf(String txt) {
    return VERSION.matcher(txt).matches();
  }

  static SpfRecord parse(String txt) throws SpfException {
    if (!isSpf(txt)) {
      throw SpfException.perm("not an SPF record");
    }
    for (int i = 0; i < txt.length(); i++) {
      char c = txt.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw SpfException.perm("SPF record has a character outside printable ASCII");
      }
    }
    List<Directive> directives = new ArrayList<>();
    String redirect = null;
    String exp = null;
    String[] terms = txt.substring(6).trim().split(" +");
    for (String term : terms) {
      if (term.isEmpty()) {
        continue;
      }
      Matcher m = MODIFIER.matcher(term);
      int colon = term.indexOf(':');
      if (m.matches() && (colon < 0 || colon > term.indexOf('='))) {
        String name = m.group(1).toLowerCase(Locale.ROOT);
        String value = m.group(2);
        switch (name) {
          case "redirect" -> {
            if (redirect != null) {
              throw SpfException.perm("two redirect modifiers");
            }
            redirect = checkDomainSpec(value, term);
          }
          case "exp" -> {
            if (exp != null) {
              throw SpfException.perm("two exp modifiers");
            }
            exp = checkDomainSpec(value, term);
          }
          default -> Macro.check(value, false, term); // unknown modifiers: syntax only
        }
        continue;
      }
      Qualifier q = Qualifier.of(term.charAt(0));
      String body = q == null ? term : term.substring(1);
      directives.add(new Directive(q == null ? Qualifier.PASS : q, mechanism(body, term)));
    }
    return new SpfRecord(List.copyOf(directives), redirect, exp);
  }

  private static Mechanism mechanism(String body, String term) throws SpfException {
    int sep = indexOfAny(body, ":/");
    String name = (sep < 0 ? body : body.substring(0, sep)).toLowerCase(Locale.ROOT);
    String rest = sep < 0 ? "" : body.substring(sep);
    switch (name) {
      case "all" -> {
        if (!rest.isEmpty()) {
          throw SpfException.perm("bad term '" + term + "'");
        }
        return new All();
      }
      case "include", "exists" -> {
        if (!rest.startsWith(":") || rest.length() == 1) {
          throw SpfException.perm("'" + term + "' needs a domain");
        }
        String d = checkDomainSpec(rest.substring(1), term);
        return name.equals("include") ? new Include(d) : new Exists(d);
      }
      case "ptr" -> {
        if (rest.isEmpty()) {
          return new Ptr(null);
        }
        if (!rest.startsWith(":") || rest.length() == 1) {
          throw SpfException.perm("bad term '" + term + "'");
        }
        return new Ptr(checkDomainSpec(rest.substring(1), term));
      }
      case "a", "mx" -> {
        Matcher m = DUAL_CIDR.matcher(rest);
        if (!m.matches()) {
          throw SpfException.perm("bad term '" + term + "'");
        }
        String d = m.group(1);
        String domain = null;
        if (!d.isEmpty()) {
          if (!d.startsWith(":") || d.length() == 1) {
            throw SpfException.perm("bad term '" + term + "'");
          }
          domain = checkDomainSpec(d.substring(1), term);
        }
        int c4 = prefix(m.group(2), 32, term);
        int c6 = prefix(m.group(3), 128, term);
        return name.equals("a") ? new A(domain, c4, c6) : new Mx(domain, c4, c6);
      }
      case "ip4", "ip6" -> {
        if (!rest.startsWith(":")) {
          throw SpfException.perm("'" + term + "' needs an address");
        }
        String v = rest.substring(1);
        int slash = v.indexOf('/');
        String addr = slash < 0 ? v : v.substring(0, slash);
        boolean six = name.equals("ip6");
        if (addr.isEmpty() || (six ? !addr.matches("[0-9A-Fa-f:.]+") || !addr.contains(":")
            : !addr.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
          throw SpfException.perm("bad address in '" + term + "'");
        }
        InetAddress a;
        try {
          a = InetAddress.getByName(addr); // a literal: no DNS
        } catch (UnknownHostException e) {
          throw SpfException.perm("bad address in '" + term + "'");
        }
        if (six != (a.getAddress().length == 16)) {
          throw SpfException.perm("bad address in '" + term + "'");
        }
        int p = prefix(slash < 0 ? null : v.substring(slash + 1), six ? 128 : 32, term);
        return new Ip(a, p);
      }
      default -> throw SpfException.perm("unknown mechanism '" + term + "'");
    }
  }

  private static int prefix(String s, int max, String term) throws SpfException {
    if (s == null) {
      return max;
    }
    if (s.isEmpty() || s.length() > 3 || (s.length() > 1 && s.startsWith("0"))) {
      throw SpfException.perm("bad prefix length in '" + term + "'");
    }
    int p = Integer.parseInt(s);
    if (p > max) {
      throw SpfException.perm("bad prefix length in '" + term + "'");
    }
    return p;
  }

  private static String checkDomainSpec(String spec, String term) throws SpfException {
    Macro.check(spec, false, term);
    // domain-end: a top label that is not all digits, or a macro (§7.1)
    if (!spec.endsWith("}")) {
      String s = spec.endsWith(".") ? spec.substring(0, spec.length() - 1) : spec;
      int dot = s.lastIndexOf('.');
      String top = s.substring(dot + 1);
      if (dot < 0 || top.isEmpty() || top.matches("\\d+") || !top.matches("[A-Za-z0-9-]+")
          || top.startsWith("-") || top.endsWith("-")) {
        throw SpfException.perm("bad domain in '" + term + "'");
      }
    }
    return spec;
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
