package net.koukan.mime;

/**
 * A message-builder spec (spec §3.1) that cannot be rendered. The message says why in one short
 * line that is safe to put into an SMTP reply: control characters become spaces and it is cut at
 * {@value #MAX_REASON} characters.
 */
public final class InvalidSpecException extends Exception {
  private static final long serialVersionUID = 1L;
  static final int MAX_REASON = 300;

  public InvalidSpecException(String reason) {
    super(clean(reason));
  }

  static String clean(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_REASON + 3));
    for (int i = 0; i < s.length() && b.length() < MAX_REASON; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    if (b.length() >= MAX_REASON && s.length() > MAX_REASON) {
      b.append("...");
    }
    return b.toString();
  }
}
