package net.koukan.smtp;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;

/**
 * The arguments of MAIL and RCPT (RFC 5321 §4.1.2, §4.1.3; RFC 6531 for UTF-8): {@code FROM:<path>}
 * or {@code TO:<path>}, then ESMTP parameters. Strict about the path: angle brackets are required,
 * local parts are dot-strings or quoted strings, domains are LDH labels (or U-labels that IDNA
 * accepts) or IPv4/IPv6 address literals, with the RFC's length limits. Tolerant in one place,
 * like Postfix: spaces between the colon and the "<" ({@code MAIL FROM: <a@b>}). A source route
 * ({@code <@relay:user@host>}) is accepted and dropped (§4.1.2, Appendix C). Non-ASCII is parsed
 * here; whether it is allowed (SMTPUTF8) is the caller's decision.
 *
 * <p>Errors: a malformed command is {@code 501 5.5.4}; a malformed sender address
 * {@code 553 5.1.7}; a malformed recipient address {@code 501 5.1.3}.
 */
final class PathParser {
  /** Which command the path belongs to (error codes and the special paths differ). */
  enum Role { SENDER, RECIPIENT }

  private static final int MAX_PATH = 256;
  private static final int MAX_LOCAL = 64;
  private static final int MAX_DOMAIN = 255;
  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  private PathParser() {}

  /** Parses {@code FROM:<...> params} ({@code SENDER}) or {@code TO:<...> params}. */
  static Mailbox parse(String arg, Role role) throws ReplyException {
    String prefix = role == Role.SENDER ? "FROM:" : "TO:";
    String usage = role == Role.SENDER
        ? "syntax: MAIL FROM:<address> [parameters]" : "syntax: RCPT TO:<address> [parameters]";
    if (!arg.regionMatches(true, 0, prefix, 0, prefix.length())) {
      throw new ReplyException(501, "5.5.4", usage);
    }
    int i = prefix.length();
    while (i < arg.length() && arg.charAt(i) == ' ') {
      i++;
    }
    if (i >= arg.length() || arg.charAt(i) != '<') {
      throw new ReplyException(501, "5.5.4", usage);
    }
    int close = closingBracket(arg, i + 1);
    if (close < 0) {
      throw new ReplyException(501, "5.5.4", usage);
    }
    String path = arg.substring(i + 1, close);
    if (utf8Length(path) + 2 > MAX_PATH) {
      throw addressError(role, "address too long");
    }
    String address = mailbox(path, role);
    String rest = arg.substring(close + 1);
    if (!rest.isEmpty() && rest.charAt(0) != ' ') {
      throw new ReplyException(501, "5.5.4", usage);
    }
    return new Mailbox(address, params(rest));
  }

  /** Index of the ">" closing a path that starts at {@code from}, skipping quoted strings. */
  private static int closingBracket(String s, int from) {
    boolean quoted = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quoted && c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == '>') {
        return i;
      } else if (!quoted && c == '<') {
        return -1;
      }
    }
    return -1;
  }

  /** Validates the inside of the brackets; returns the mailbox without any source route. */
  private static String mailbox(String path, Role role) throws ReplyException {
    if (path.isEmpty()) {
      if (role == Role.SENDER) {
        return "";
      }
      throw addressError(role, "empty recipient");
    }
    if (role == Role.RECIPIENT && path.equalsIgnoreCase("postmaster")) {
      return path;
    }
    if (path.charAt(0) == '@') {
      int colon = routeEnd(path);
      if (colon < 0) {
        throw addressError(role, "bad source route");
      }
      for (String hop : path.substring(0, colon).split(",", -1)) {
        if (hop.length() < 2 || hop.charAt(0) != '@' || !domain(hop.substring(1))) {
          throw addressError(role, "bad source route");
        }
      }
      path = path.substring(colon + 1);
    }
    int at = localPartEnd(path);
    if (at < 0 || at >= path.length() || path.charAt(at) != '@') {
      throw addressError(role, "address must be local-part@domain");
    }
    String local = path.substring(0, at);
    String dom = path.substring(at + 1);
    if (utf8Length(local) > MAX_LOCAL) {
      throw addressError(role, "local part longer than 64 octets");
    }
    if (utf8Length(dom) > MAX_DOMAIN) {
      throw addressError(role, "domain longer than 255 octets");
    }
    if (!(dom.startsWith("[") ? addressLiteral(dom) : domain(dom))) {
      throw addressError(role, "bad domain");
    }
    return path;
  }

  private static int routeEnd(String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == ':') {
        return i;
      }
      if (c == '"' || c == '<' || c == '>') {
        return -1;
      }
    }
    return -1;
  }

  /** Checks the local part at the start of {@code s}; returns the index after it, or -1. */
  private static int localPartEnd(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    if (s.charAt(0) == '"') {
      for (int i = 1; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\') {
          if (i + 1 >= s.length() || !(s.charAt(i + 1) >= 32 && s.charAt(i + 1) <= 126)) {
            return -1;
          }
          i++;
        } else if (c == '"') {
          return i + 1;
        } else if (!(c >= 32 && c <= 126 || c >= 0x80)) {
          return -1;
        }
      }
      return -1;
    }
    int i = 0;
    boolean atomStart = true;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '@') {
        break;
      }
      if (c == '.') {
        if (atomStart) {
          return -1;
        }
        atomStart = true;
      } else if (atext(c)) {
        atomStart = false;
      } else {
        return -1;
      }
    }
    return atomStart ? -1 : i;
  }

  private static boolean atext(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || ATEXT_SPECIALS.indexOf(c) >= 0 || c >= 0x80;
  }

  /** RFC 5321 Domain: sub-domains of Let-dig [Ldh-str]; U-labels when IDNA can convert them. */
  static boolean domain(String d) {
    if (d.isEmpty() || d.length() > MAX_DOMAIN) {
      return false;
    }
    for (String label : d.split("\\.", -1)) {
      if (label.isEmpty() || !(ldhLabel(label) || uLabel(label))) {
        return false;
      }
    }
    return true;
  }

  private static boolean ldhLabel(String l) {
    if (l.length() > 63 || l.charAt(0) == '-' || l.charAt(l.length() - 1) == '-') {
      return false;
    }
    for (int i = 0; i < l.length(); i++) {
      char c = l.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  private static boolean uLabel(String l) {
    if (l.chars().allMatch(c -> c < 0x80)) {
      return false;
    }
    try {
      String a = IDN.toASCII(l, IDN.USE_STD3_ASCII_RULES);
      return !a.isEmpty() && a.length() <= 63 && ldhLabel(a);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code [1.2.3.4]} or {@code [IPv6:...]}; general address literals are not accepted. */
  static boolean addressLiteral(String d) {
    if (d.length() < 3 || d.charAt(0) != '[' || d.charAt(d.length() - 1) != ']') {
      return false;
    }
    String in = d.substring(1, d.length() - 1);
    if (in.regionMatches(true, 0, "IPv6:", 0, 5)) {
      return ipv6(in.substring(5));
    }
    return ipv4(in);
  }

  static boolean ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /** RFC 4291 text form, with an optional trailing dotted IPv4 part. */
  static boolean ipv6(String s) {
    int lastColon = s.lastIndexOf(':');
    if (lastColon < 0) {
      return false;
    }
    int groups = 0;
    String body = s;
    String tail = s.substring(lastColon + 1);
    if (tail.indexOf('.') >= 0) {
      if (!ipv4(tail)) {
        return false;
      }
      groups = 2;
      body = s.substring(0, lastColon + 1);
      if (!body.endsWith("::")) {
        body = body.substring(0, body.length() - 1);
      }
    }
    int dc = body.indexOf("::");
    if (dc >= 0 && body.indexOf("::", dc + 1) >= 0) {
      return false;
    }
    List<String> hex = new ArrayList<>();
    String left = dc >= 0 ? body.substring(0, dc) : body;
    String right = dc >= 0 ? body.substring(dc + 2) : "";
    if (!left.isEmpty() || dc < 0) {
      hex.addAll(List.of(left.split(":", -1)));
    }
    if (!right.isEmpty()) {
      hex.addAll(List.of(right.split(":", -1)));
    }
    for (String h : hex) {
      if (h.isEmpty() || h.length() > 4 || !h.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
        return false;
      }
    }
    groups += hex.size();
    return dc >= 0 ? groups <= 7 : groups == 8;
  }

  /** ESMTP parameters: keyword[=value] separated by spaces; keywords upper-cased; no duplicates. */
  static List<EsmtpParam> params(String rest) throws ReplyException {
    List<EsmtpParam> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (String p : rest.split(" +")) {
      if (p.isEmpty()) {
        continue;
      }
      int eq = p.indexOf('=');
      String kw = eq < 0 ? p : p.substring(0, eq);
      String val = eq < 0 ? null : p.substring(eq + 1);
      if (!keyword(kw) || val != null && !value(val)) {
        throw new ReplyException(501, "5.5.4", "bad parameter syntax: " + printable(p));
      }
      kw = kw.toUpperCase(Locale.ROOT);
      if (!seen.add(kw)) {
        throw new ReplyException(501, "5.5.4", "duplicate parameter " + kw);
      }
      out.add(new EsmtpParam(kw, val));
    }
    return out;
  }

  private static boolean keyword(String k) {
    if (k.isEmpty() || !Character.isLetterOrDigit(k.charAt(0))) {
      return false;
    }
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531). */
  private static boolean value(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (!(c >= 33 && c <= 126 && c != '=' || c >= 0x80)) {
        return false;
      }
    }
    return true;
  }

  static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static ReplyException addressError(Role role, String why) {
    return role == Role.SENDER
        ? new ReplyException(553, "5.1.7", "bad sender address syntax: " + why)
        : new ReplyException(501, "5.1.3", "bad recipient address syntax: " + why);
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  private static String printable(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
