package net.koukan.spf;

import java.util.Locale;

/** The results of RFC 7208 §2.6, written in lower case in signals and headers. */
public enum SpfResult {
  NONE, NEUTRAL, PASS, FAIL, SOFTFAIL, TEMPERROR, PERMERROR;

  /** {@code pass}, {@code softfail}, ... as RFC 7208 and RFC 8601 spell them. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
