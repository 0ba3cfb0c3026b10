package net.koukan.spf;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/** SPF macro expansion (RFC 7208 §7). */
final class Macro {
  private Macro() {}

  /** The facts macros expand to. {@code validatedName} is looked up lazily by the caller for %{p}. */
  record Context(InetAddress ip, String sender, String domain, String helo, String receiver,
      long timestamp, java.util.function.Supplier<String> validatedName) {}

  private static final String LETTERS = "slodiphv";
  private static final String EXP_LETTERS = "crt";

  /** Checks the syntax of a macro-string; {@code exp} allows the letters only explanations may use. */
  static void check(String s, boolean exp, String term) throws SpfException {
    expand(s, null, exp, term);
  }

  /** Expands a macro-string; with a null context only checks it. */
  static String expand(String s, Context c, boolean exp, String term) throws SpfException {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      char ch = s.charAt(i);
      if (ch != '%') {
        if (ch < 0x21 || ch > 0x7e) {
          if (!(exp && ch == ' ')) {
            throw SpfException.perm("bad character in '" + term + "'");
          }
        }
        out.append(ch);
        i++;
        continue;
      }
      if (i + 1 >= s.length()) {
        throw SpfException.perm("'%' at the end of '" + term + "'");
      }
      char n = s.charAt(i + 1);
      switch (n) {
        case '%' -> {
          out.append('%');
          i += 2;
          continue;
        }
        case '_' -> {
          out.append(' ');
          i += 2;
          continue;
        }
        case '-' -> {
          out.append("%20");
          i += 2;
          continue;
        }
        case '{' -> { }
        default -> throw SpfException.perm("bad macro in '" + term + "'");
      }
      int end = s.indexOf('}', i + 2);
      if (end < 0 || end == i + 2) {
        throw SpfException.perm("unterminated macro in '" + term + "'");
      }
      String spec = s.substring(i + 2, end);
      i = end + 1;
      char letter = spec.charAt(0);
      char lower = Character.toLowerCase(letter);
      if (LETTERS.indexOf(lower) < 0 && !(exp && EXP_LETTERS.indexOf(lower) >= 0)) {
        throw SpfException.perm("bad macro letter in '" + term + "'");
      }
      int j = 1;
      int digits = 0;
      int start = j;
      while (j < spec.length() && Character.isDigit(spec.charAt(j))) {
        j++;
      }
      if (j > start) {
        if (j - start > 3) {
          throw SpfException.perm("bad macro in '" + term + "'");
        }
        digits = Integer.parseInt(spec.substring(start, j));
        if (digits == 0) {
          throw SpfException.perm("bad macro in '" + term + "'");
        }
      }
      boolean reverse = false;
      if (j < spec.length() && (spec.charAt(j) == 'r' || spec.charAt(j) == 'R')) {
        reverse = true;
        j++;
      }
      String delimiters = spec.substring(j);
      for (char d : delimiters.toCharArray()) {
        if (".-+,/_=".indexOf(d) < 0) {
          throw SpfException.perm("bad macro delimiter in '" + term + "'");
        }
      }
      if (c == null) {
        continue;
      }
      String value = value(lower, c);
      List<String> parts = split(value, delimiters.isEmpty() ? "." : delimiters);
      if (reverse) {
        Collections.reverse(parts);
      }
      if (digits > 0 && digits < parts.size()) {
        parts = parts.subList(parts.size() - digits, parts.size());
      }
      String joined = String.join(".", parts);
      out.append(Character.isUpperCase(letter) ? urlEscape(joined) : joined);
    }
    return out.toString();
  }

  private static List<String> split(String value, String delimiters) {
    List<String> parts = new ArrayList<>();
    int from = 0;
    for (int k = 0; k < value.length(); k++) {
      if (delimiters.indexOf(value.charAt(k)) >= 0) {
        parts.add(value.substring(from, k));
        from = k + 1;
      }
    }
    parts.add(value.substring(from));
    return parts;
  }

  private static String value(char letter, Context c) {
    String sender = c.sender();
    int at = sender.lastIndexOf('@');
    return switch (letter) {
      case 's' -> sender;
      case 'l' -> sender.substring(0, at);
      case 'o' -> sender.substring(at + 1);
      case 'd' -> c.domain();
      case 'i' -> ipDotted(c.ip());
      case 'p' -> c.validatedName().get();
      case 'v' -> c.ip() instanceof Inet4Address ? "in-addr" : "ip6";
      case 'h' -> c.helo() == null ? "unknown" : c.helo();
      case 'c' -> c.ip().getHostAddress();
      case 'r' -> c.receiver() == null ? "unknown" : c.receiver();
      case 't' -> Long.toString(c.timestamp());
      default -> throw new IllegalStateException("checked above: " + letter);
    };
  }

  /** IPv4 dotted quad; IPv6 as 32 dot-separated nibbles (§7.3). */
  static String ipDotted(InetAddress ip) {
    if (ip instanceof Inet4Address) {
      return ip.getHostAddress();
    }
    String hex = HexFormat.of().formatHex(ip.getAddress());
    StringBuilder b = new StringBuilder();
    for (char h : hex.toCharArray()) {
      if (!b.isEmpty()) {
        b.append('.');
      }
      b.append(h);
    }
    return b.toString();
  }

  private static String urlEscape(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int ch = x & 0xff;
      if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || "-._~".indexOf(ch) >= 0) {
        b.append((char) ch);
      } else {
        b.append('%').append(String.format(Locale.ROOT, "%02X", ch));
      }
    }
    return b.toString();
  }
}
