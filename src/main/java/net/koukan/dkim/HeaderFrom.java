package net.koukan.dkim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The author domain of a message (RFC 5322 From, as DMARC uses it): the domain of the addresses
 * in its single From field. Null when there is no From field, more than one, no address, or
 * addresses of different domains. A small address-list scanner: quoted strings, comments
 * (nested), angle addresses, groups and obsolete route syntax are understood.
 */
public final class HeaderFrom {
  private HeaderFrom() {}

  public static String domain(List<HeaderField> fields) {
    HeaderField from = null;
    for (HeaderField f : fields) {
      if (f.is("from")) {
        if (from != null) {
          return null;
        }
        from = f;
      }
    }
    return from == null ? null : domainOf(from.unfoldedValue());
  }

  /** The common domain of the addresses in an address-list, lower case, or null. */
  public static String domainOf(String addressList) {
    String domain = null;
    for (String addr : addresses(addressList)) {
      int at = addr.lastIndexOf('@');
      if (at < 0 || at == addr.length() - 1) {
        return null;
      }
      String d = addr.substring(at + 1).toLowerCase(Locale.ROOT);
      if (d.endsWith(".")) {
        d = d.substring(0, d.length() - 1);
      }
      if (d.isEmpty() || d.startsWith("[")) {
        return null; // domain literals have no DNS domain
      }
      if (domain != null && !domain.equals(d)) {
        return null;
      }
      domain = d;
    }
    return domain;
  }

  /** The addr-specs of an address-list, comments and display names removed. */
  static List<String> addresses(String s) {
    List<String> out = new ArrayList<>();
    StringBuilder bare = new StringBuilder(); // text outside <>, quotes and comments
    StringBuilder angle = null;
    String angled = null;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '"') { // quoted string: part of a local part or a display name
        StringBuilder q = angle != null ? angle : bare;
        q.append('"');
        for (i++; i < n && s.charAt(i) != '"'; i++) {
          if (s.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          q.append(s.charAt(i) == '@' ? '_' : s.charAt(i)); // an @ in quotes is not the domain's
        }
        q.append('"');
      } else if (c == '(') {
        int depth = 1;
        for (i++; i < n && depth > 0; i++) {
          char d = s.charAt(i);
          if (d == '\\') {
            i++;
          } else if (d == '(') {
            depth++;
          } else if (d == ')') {
            depth--;
          }
        }
        i--;
      } else if (c == '<' && angle == null) {
        angle = new StringBuilder();
      } else if (c == '>' && angle != null) {
        angled = angle.toString();
        angle = null;
      } else if (angle != null) {
        if (!Character.isWhitespace(c)) {
          angle.append(c);
        }
      } else if (c == ',' || c == ';') {
        add(out, angled, bare);
        angled = null;
        bare.setLength(0);
      } else if (c == ':') {
        bare.setLength(0); // group display name
      } else if (!Character.isWhitespace(c)) {
        bare.append(c);
      } else if (!bare.isEmpty()) {
        bare.append(' ');
      }
    }
    add(out, angled, bare);
    return out;
  }

  private static void add(List<String> out, String angled, StringBuilder bare) {
    String a = angled;
    if (a == null) {
      String b = bare.toString().strip();
      if (b.isEmpty()) {
        return;
      }
      a = b.replace(" ", "");
    }
    int colon = a.lastIndexOf(':'); // obsolete route: <@relay:user@host>
    if (a.startsWith("@") && colon > 0) {
      a = a.substring(colon + 1);
    }
    if (!a.isEmpty()) {
      out.add(a);
    }
  }
}
