package net.koukan.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.koukan.tx.Response;

/**
 * One SMTP reply: a three-digit code and one or more text lines. Enhanced status codes (RFC 2034,
 * RFC 3463) are part of the text ("5.5.2 command not recognized"); {@link #of} takes them apart so
 * every line of a multiline reply carries the code. Replies without one are the ones RFC 2034
 * exempts: the 220 greeting, the EHLO/HELO 250, 354 and the 334 SASL challenges.
 *
 * <p>Text is sanitised on construction: only printable US-ASCII survives (anything else becomes
 * '?'), lines are cut at {@link #MAX_TEXT} characters, so a reply can never break the framing.
 */
public record Reply(int code, List<String> lines) {
  /** Longest text per line: 512 octets per reply line (RFC 5321 §4.5.3.1.5) minus "nnn-" and CRLF. */
  public static final int MAX_TEXT = 506;

  private static final Pattern ENHANCED = Pattern.compile("^[245]\\.\\d{1,3}\\.\\d{1,3}(?= |$)");

  public Reply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code out of range: " + code);
    }
    List<String> clean = new ArrayList<>(lines.size());
    for (String l : lines) {
      clean.add(sanitize(l));
    }
    if (clean.isEmpty()) {
      clean.add("");
    }
    lines = List.copyOf(clean);
  }

  /** A one-line reply with an enhanced status code, e.g. {@code of(501, "5.5.4", "syntax")}. */
  public static Reply of(int code, String enhanced, String text) {
    return new Reply(code, List.of(enhanced + " " + text));
  }

  /** A reply without enhanced status code (greeting, EHLO/HELO, 354, 334). */
  public static Reply plain(int code, String text) {
    return new Reply(code, List.of(text));
  }

  /**
   * Turns an application {@link Response} into a reply. Codes outside 2xx/4xx/5xx (e.g. 600, the
   * internal-error code of the transaction model) become {@code 451 4.3.0}. The message may hold
   * several lines; each gets the enhanced status code, {@code defaultDetail} (e.g. "1.5" for RCPT)
   * supplies it when the text has none, and a code whose class disagrees with the reply is fixed.
   */
  public static Reply fromResponse(Response r, String defaultDetail) {
    int code = r.code();
    int cls = code / 100;
    if (cls != 2 && cls != 4 && cls != 5) {
      return of(451, "4.3.0", "internal error (upstream answered " + code + ")");
    }
    String msg = r.message() == null ? "" : r.message();
    List<String> out = new ArrayList<>();
    String enhanced = null;
    for (String line : msg.split("\r\n|\r|\n", -1)) {
      var m = ENHANCED.matcher(line);
      String text;
      if (m.find()) {
        String e = m.group();
        enhanced = cls + e.substring(1);
        text = line.substring(m.end()).stripLeading();
      } else {
        text = line;
      }
      if (enhanced == null) {
        enhanced = cls + "." + defaultDetail;
      }
      out.add(text.isEmpty() ? enhanced : enhanced + " " + text);
    }
    return new Reply(code, out);
  }

  /** True for 2xx. */
  public boolean positive() {
    return code / 100 == 2;
  }

  /** The wire form: "250-first\r\n250 last\r\n". */
  public byte[] encode() {
    StringBuilder sb = new StringBuilder(32 * lines.size());
    for (int i = 0; i < lines.size(); i++) {
      sb.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** The reply on one line, for logs and test messages. */
  @Override
  public String toString() {
    return code + " " + String.join(" / ", lines);
  }

  private static String sanitize(String s) {
    int n = Math.min(s.length(), MAX_TEXT);
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }
}
