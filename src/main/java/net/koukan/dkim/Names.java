package net.koukan.dkim;

import java.util.regex.Pattern;

/** Syntax checks for the names DKIM puts in DNS queries. */
final class Names {
  private Names() {}

  private static final String LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
  private static final Pattern NAME = Pattern.compile("(?:" + LABEL + "\\.)*" + LABEL);

  /** A domain of at least two labels (no trailing dot), at most 253 chars. */
  static boolean isDomain(String s) {
    return s.length() <= 253 && NAME.matcher(s).matches() && s.contains(".");
  }

  /** A selector: one or more dot-separated labels. */
  static boolean isSelector(String s) {
    return s.length() <= 200 && NAME.matcher(s).matches();
  }

  /** A name as {@code d=}/{@code s=} may hold it. */
  static boolean isName(String s) {
    return s.length() <= 253 && NAME.matcher(s).matches();
  }
}
