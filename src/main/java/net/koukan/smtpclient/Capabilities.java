package net.koukan.smtpclient;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a peer said it supports in its EHLO/LHLO reply: extension keyword (upper case) → its
 * parameters ("" when none). After HELO (no ESMTP) the map is empty and {@link #esmtp} false.
 */
public record Capabilities(boolean esmtp, Map<String, String> extensions) {
  public static final Capabilities NONE = new Capabilities(false, Map.of());

  public Capabilities {
    extensions = Map.copyOf(extensions);
  }

  /**
   * Parses an EHLO/LHLO reply: the first line is the server's name, each further line {@code
   * KEYWORD [params]}. Lines that are not a valid keyword (RFC 5321 {@code ehlo-keyword}) are ignored.
   */
  public static Capabilities parse(Reply ehlo) {
    Map<String, String> ext = new LinkedHashMap<>();
    for (int i = 1; i < ehlo.lines().size(); i++) {
      String line = ehlo.lines().get(i).strip();
      int sp = line.indexOf(' ');
      String kw = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
      if (!keyword(kw)) {
        continue;
      }
      ext.putIfAbsent(kw, sp < 0 ? "" : line.substring(sp + 1).strip());
    }
    return new Capabilities(true, ext);
  }

  static boolean keyword(String kw) {
    if (kw.isEmpty() || kw.length() > 64) {
      return false;
    }
    for (int i = 0; i < kw.length(); i++) {
      char c = kw.charAt(i);
      boolean alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || c != '-')) {
        return false;
      }
    }
    return true;
  }

  public boolean has(String keyword) {
    return extensions.containsKey(keyword.toUpperCase(Locale.ROOT));
  }

  public boolean pipelining() {
    return has("PIPELINING");
  }

  public boolean chunking() {
    return has("CHUNKING");
  }

  public boolean startTls() {
    return has("STARTTLS");
  }

  public boolean smtpUtf8() {
    return has("SMTPUTF8");
  }

  public boolean eightBitMime() {
    return has("8BITMIME");
  }

  public boolean binaryMime() {
    return has("BINARYMIME");
  }

  public boolean dsn() {
    return has("DSN");
  }

  public boolean enhancedStatusCodes() {
    return has("ENHANCEDSTATUSCODES");
  }

  /**
   * The SIZE extension (RFC 1870): -1 when not advertised, 0 when advertised without a fixed
   * limit (or with one we cannot read), else the largest message the peer takes.
   */
  public long sizeLimit() {
    String v = extensions.get("SIZE");
    if (v == null) {
      return -1;
    }
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return 0;
    }
    return Long.parseLong(v);
  }
}
