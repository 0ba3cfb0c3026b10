package net.koukan.dsn;

import java.util.Objects;

/** Minimal checks on mailbox strings handed to the DSN builder (not a full RFC 5321 parser). */
final class Addresses {
  /** Generous cap (RFC 5321 paths are at most 256 octets) that keeps every header line short. */
  static final int MAX_LENGTH = 512;

  private Addresses() {}

  /**
   * Rejects null, empty (the null reverse-path: never bounce a bounce), over-long addresses and
   * addresses containing whitespace-breaking or control characters that could split a header.
   */
  static void requireAddress(String what, String address) {
    Objects.requireNonNull(address, what);
    if (address.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (address.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(what + " is longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '<' || c == '>'
          || c == '\u2028' || c == '\u2029' || Character.isSurrogate(c) && !validSurrogate(address, i)) {
        throw new IllegalArgumentException(what + " contains a forbidden character at " + i);
      }
    }
  }

  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
