package net.koukan.policy;

import java.nio.charset.StandardCharsets;
import net.koukan.config.Cidr;

/**
 * RFC 5321 mailbox syntax ({@code Local-part "@" ( Domain / address-literal )}) with RFC 6531
 * UTF-8: local parts are dot-strings or quoted strings, domains are LDH labels (non-ASCII
 * letters allowed as U-labels) or address literals. What {@code invalid_mail_from},
 * {@code invalid_rcpt_to} and {@code address_list} call "parsable".
 */
final class Addresses {
  private Addresses() {}

  private static final int MAX_LOCAL = 64;
  private static final int MAX_DOMAIN = 255;
  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  /**
   * @param allowPostmaster accept the bare {@code postmaster} (RFC 5321 §4.1.1.3, recipients only)
   */
  static boolean valid(String address, boolean allowPostmaster) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    if (allowPostmaster && address.equalsIgnoreCase("postmaster")) {
      return true;
    }
    int at = localPartEnd(address);
    if (at <= 0 || at >= address.length() || address.charAt(at) != '@') {
      return false;
    }
    String local = address.substring(0, at);
    String domain = address.substring(at + 1);
    return local.getBytes(StandardCharsets.UTF_8).length <= MAX_LOCAL && domain(domain);
  }

  /** Index just after a well-formed local part at the start of {@code s}, or -1. */
  private static int localPartEnd(String s) {
    if (s.charAt(0) == '"') {
      for (int i = 1; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c == '\\') {
          if (i + 1 >= s.length() || s.charAt(i + 1) < 0x20 || s.charAt(i + 1) == 0x7f) {
            return -1;
          }
          i++;
        } else if (c == '"') {
          return i + 1;
        } else if (c < 0x20 || c == 0x7f) {
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
          return -1; // leading or double dot
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

  static boolean atext(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || ATEXT_SPECIALS.indexOf(c) >= 0 || (c >= 0x80 && !Character.isISOControl(c)
            && !Character.isWhitespace(c));
  }

  static boolean domain(String d) {
    if (d.isEmpty() || d.getBytes(StandardCharsets.UTF_8).length > MAX_DOMAIN) {
      return false;
    }
    if (d.startsWith("[")) {
      return addressLiteral(d);
    }
    for (String label : d.split("\\.", -1)) {
      if (!label(label)) {
        return false;
      }
    }
    return true;
  }

  private static boolean label(String l) {
    if (l.isEmpty() || l.length() > 63 || l.startsWith("-") || l.endsWith("-")) {
      return false;
    }
    for (int i = 0; i < l.length(); i++) {
      char c = l.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || (c >= 0x80 && Character.isLetterOrDigit(c));
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean addressLiteral(String d) {
    if (!d.endsWith("]") || d.length() < 3) {
      return false;
    }
    String inner = d.substring(1, d.length() - 1);
    if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
      String v6 = inner.substring(5);
      return v6.contains(":") && Cidr.valid(v6) && !v6.contains("/");
    }
    return inner.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
  }
}
