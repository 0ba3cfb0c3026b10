package net.koukan.smtpclient;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.koukan.tx.Response;

/**
 * One SMTP reply as read from the wire: the three-digit code and the text of each line (what
 * follows the code and its {@code -}/space separator). Built only by the strict parser
 * ({@link ReplyReader}), so the code is always 2xx–5xx and the lines are never empty.
 */
public record Reply(int code, List<String> lines) {
  /** Longest text a {@link Response} made from a reply carries. */
  public static final int MAX_TEXT = 1000;

  private static final Pattern ENHANCED = Pattern.compile("^([245]\\.\\d{1,3}\\.\\d{1,3})(?: |$)");

  public Reply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code out of range: " + code);
    }
    lines = List.copyOf(lines);
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("a reply has at least one line");
    }
  }

  public boolean positive() {
    return code / 100 == 2;
  }

  public boolean temporary() {
    return code / 100 == 4;
  }

  public boolean permanent() {
    return code / 100 == 5;
  }

  /**
   * The text of all lines joined with a space; an enhanced status code that continuation lines
   * repeat ({@code 550-5.1.1 a / 550 5.1.1 b}) is kept once.
   */
  public String text() {
    String first = lines.getFirst();
    Matcher m = ENHANCED.matcher(first);
    String enhanced = m.find() ? m.group(1) : null;
    StringBuilder b = new StringBuilder(first);
    for (int i = 1; i < lines.size(); i++) {
      String l = lines.get(i);
      if (enhanced != null && l.startsWith(enhanced)
          && (l.length() == enhanced.length() || l.charAt(enhanced.length()) == ' ')) {
        l = l.substring(enhanced.length()).stripLeading();
      }
      if (!l.isEmpty()) {
        b.append(b.isEmpty() ? "" : " ").append(l);
      }
    }
    return b.toString();
  }

  /** The reply as a transaction response: same code, the text sanitised ({@link #sanitize}). */
  public Response toResponse() {
    return new Response(code, sanitize(text()));
  }

  /**
   * Text safe to store and to put on another wire: control characters (CR, LF, NUL, DEL, ...)
   * become spaces, and at most {@link #MAX_TEXT} characters are kept.
   */
  public static String sanitize(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_TEXT));
    for (int i = 0; i < s.length() && b.length() < MAX_TEXT; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || (c >= 0x7f && c < 0xa0) ? ' ' : c);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return code + " " + sanitize(text());
  }
}
