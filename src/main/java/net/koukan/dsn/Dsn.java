package net.koukan.dsn;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds RFC 3464 delivery status notifications (spec §4.7).
 *
 * <p>The result of {@link #build} is a complete RFC 5322 message with CRLF line endings:
 * {@code multipart/report; report-type=delivery-status} (RFC 6522; the reference implementation
 * wrote {@code report_type}, a bug not reproduced here) holding a human-readable
 * {@code text/plain} part, a {@code message/delivery-status} part and, when the original header
 * block is known, a {@code text/rfc822-headers} part.
 *
 * <p>Untrusted text (the remote server's reply, host names, the envelope id, the original
 * headers) can never add header fields or MIME parts: reply text is reduced to a single line
 * (CR, LF and other control characters become spaces), the multipart boundary is checked against
 * every part's content, and header lines are folded so that no line exceeds 998 octets. The
 * body is 7-bit clean: the human-readable part is UTF-8 in quoted-printable, the
 * machine-readable part is ASCII (non-ASCII characters are written as RFC 6533 {@code \x{HEX}}
 * escapes, non-ASCII recipients use the RFC 6533 {@code utf-8} address type), and the original
 * headers are quoted-printable when they are not 7-bit text with short lines. Only a non-ASCII
 * sender or mailer-daemon address (SMTPUTF8) puts UTF-8 into the To/From header fields, since
 * an address cannot be encoded otherwise.
 */
public final class Dsn {
  /** Maximum size of the {@code text/rfc822-headers} part's content (truncated at a line end). */
  public static final int MAX_ORIGINAL_HEADERS = 64 * 1024;
  /** Remote reply text longer than this (in code points) is cut and marked with "...". */
  static final int MAX_REMOTE_TEXT = 4096;
  /** Other single-line values (host names, envelope id) are cut at this many code points. */
  static final int MAX_SHORT_TEXT = 512;
  /** RFC 5322 §2.1.1: lines SHOULD be at most 78 characters... */
  static final int FOLD_AT = 78;
  /** ...and MUST be at most 998. */
  static final int MAX_LINE = 998;
  /** A word longer than this cannot be folded at whitespace and is split into chunks. */
  private static final int MAX_WORD = 900;
  private static final int QP_LINE = 76;

  private static final String CRLF = "\r\n";
  private static final DateTimeFormatter RFC5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
  /** RFC 3463 status code at the start of a reply text, followed by whitespace or the end. */
  private static final Pattern ENHANCED =
      Pattern.compile("[ \\t]*([245])\\.([0-9]{1,3})\\.([0-9]{1,3})(?=[ \\t\\r\\n]|$)");
  /** msg-id: angle brackets around printable ASCII without angle brackets or whitespace. */
  private static final Pattern MSG_ID = Pattern.compile("<[\\x21-\\x3b\\x3d\\x3f-\\x7e]{1,500}>");
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Dsn() {}

  /** Builds the complete DSN message (CRLF line endings) for {@code r}. */
  public static byte[] build(DsnRequest r) {
    Objects.requireNonNull(r, "request");
    byte[] original = r.originalHeaders();
    byte[] headers = null;
    String originalMessageId = null;
    if (original != null) {
      // Canonical line ends can at most double the size, so 2x the limit is enough to cut from.
      byte[] block = canonicalLines(headerBlock(original, 2 * MAX_ORIGINAL_HEADERS + 2));
      originalMessageId = findMessageId(block);
      headers = headerBlock(block, MAX_ORIGINAL_HEADERS);
      if (headers.length == 0) {
        headers = null;
      }
    }

    byte[] human = quotedPrintable(humanText(r, headers != null).getBytes(StandardCharsets.UTF_8));
    byte[] status = deliveryStatus(r).getBytes(StandardCharsets.US_ASCII);
    boolean headers7bit = headers != null && is7bitText(headers);
    byte[] headersBody = headers == null ? null : headers7bit ? headers : quotedPrintable(headers);

    List<byte[]> bodies = new ArrayList<>(List.of(human, status));
    if (headersBody != null) {
      bodies.add(headersBody);
    }
    String boundary = boundary(r, bodies);

    StringBuilder h = new StringBuilder(1024);
    field(h, "From", "Mail Delivery Subsystem <" + r.mailerDaemon() + ">");
    field(h, "To", "<" + r.originalSender() + ">");
    field(h, "Date", date(r.now()));
    field(h, "Message-ID", "<" + r.messageIdLocalPart() + "@" + r.reportingMta() + ">");
    field(h, "Subject",
        "Delivery Status Notification (" + (r.allDelayed() ? "Delay" : "Failure") + ")");
    if (originalMessageId != null) {
      field(h, "In-Reply-To", originalMessageId);
      field(h, "References", originalMessageId);
    }
    field(h, "Auto-Submitted", "auto-replied");
    field(h, "MIME-Version", "1.0");
    field(h, "Content-Type",
        "multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"");
    h.append(CRLF).append("This is a MIME-encapsulated message.").append(CRLF);

    ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + (headers == null ? 0 : headers.length * 2));
    out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
    part(out, boundary, "Content-Description: Notification" + CRLF
        + "Content-Type: text/plain; charset=utf-8" + CRLF
        + "Content-Transfer-Encoding: quoted-printable" + CRLF, human);
    part(out, boundary, "Content-Description: Delivery report" + CRLF
        + "Content-Type: message/delivery-status" + CRLF, status);
    if (headersBody != null) {
      // UTF-8 (RFC 6532) headers are labelled; other 8-bit bytes get no charset (RFC 1428's
      // unknown-8bit is rejected by common parsers such as mime4j): QP keeps them intact.
      String charset = !isAscii(headers) && isUtf8(headers) ? "; charset=utf-8" : "";
      part(out, boundary, "Content-Description: Undelivered message headers" + CRLF
          + "Content-Type: text/rfc822-headers" + charset + CRLF
          + "Content-Transfer-Encoding: " + (headers7bit ? "7bit" : "quoted-printable") + CRLF,
          headersBody);
    }
    // Every body ends with CRLF; the CRLF before a delimiter belongs to the delimiter.
    out.writeBytes((CRLF + "--" + boundary + "--" + CRLF).getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /**
   * The RFC 3463 enhanced status code to report for an SMTP reply: the one at the start of
   * {@code message} when there is one (e.g. {@code "5.1.1 user unknown"} gives {@code 5.1.1};
   * leading zeros are dropped and a class that disagrees with {@code code} is replaced by the
   * code's class, as RFC 3463 requires them to agree), otherwise {@code X.0.0} for the
   * code's class X.
   *
   * @throws IllegalArgumentException if {@code code} is not a 2xx, 4xx or 5xx reply code
   */
  public static String statusFor(int code, String message) {
    if (code < 200 || code > 599 || code / 100 == 3) {
      throw new IllegalArgumentException("no enhanced status class for reply code " + code);
    }
    int cls = code / 100;
    if (message != null) {
      Matcher m = ENHANCED.matcher(message);
      if (m.lookingAt()) {
        return cls + "." + Integer.parseInt(m.group(2)) + "." + Integer.parseInt(m.group(3));
      }
    }
    return cls + ".0.0";
  }

  /**
   * The header block of a raw message: everything before the first empty line (which is not
   * included), or the whole input when there is no empty line. Accepts CRLF or bare LF line
   * ends. When that exceeds {@code max} bytes it is cut after the last line end (LF) within the
   * first {@code max} bytes, so the result never ends mid-line (it is empty if the first line
   * alone is longer than {@code max}).
   */
  public static byte[] headerBlock(byte[] message, int max) {
    Objects.requireNonNull(message, "message");
    if (max < 0) {
      throw new IllegalArgumentException("max < 0");
    }
    int end = message.length;
    int pos = 0;
    while (pos < message.length) {
      if (message[pos] == '\n'
          || (message[pos] == '\r' && pos + 1 < message.length && message[pos + 1] == '\n')) {
        end = pos;
        break;
      }
      if (pos > max) {
        end = pos; // no need to look further: the result is cut to max anyway
        break;
      }
      int nl = indexOf(message, (byte) '\n', pos);
      if (nl < 0) {
        break;
      }
      pos = nl + 1;
    }
    if (end <= max) {
      return java.util.Arrays.copyOf(message, end);
    }
    for (int i = max - 1; i >= 0; i--) {
      if (message[i] == '\n') {
        return java.util.Arrays.copyOf(message, i + 1);
      }
    }
    return new byte[0];
  }

  // ---------------------------------------------------------------- parts

  private static String humanText(DsnRequest r, boolean withHeaders) {
    StringBuilder t = new StringBuilder(512);
    t.append("This is the mail delivery system at ").append(r.reportingMta()).append('.').append(CRLF)
        .append(CRLF);
    if (r.allDelayed()) {
      t.append("Delivery of your message to the recipients listed below has been delayed.").append(CRLF)
          .append("The mail system will keep trying; you do not need to send the message again.")
          .append(CRLF)
          .append("You will be notified if delivery finally fails.").append(CRLF);
    } else {
      t.append("Your message could not be delivered to one or more of its recipients.").append(CRLF);
    }
    t.append("The message was received on ").append(date(r.arrivalDate())).append('.').append(CRLF)
        .append(CRLF);
    for (DsnRecipient rcpt : r.recipients()) {
      t.append('<').append(rcpt.finalRecipient()).append(">: ")
          .append(rcpt.delayed() ? "delivery delayed" : "delivery failed")
          .append(" (status ").append(rcpt.status()).append(')').append(CRLF);
      String mta = rcpt.remoteMta() == null ? "" : oneLine(rcpt.remoteMta(), MAX_SHORT_TEXT);
      String text = rcpt.remoteMessage() == null ? "" : oneLine(rcpt.remoteMessage(), MAX_REMOTE_TEXT);
      t.append("    ").append(mta.isEmpty() ? "The remote server" : mta).append(" answered: ")
          .append(rcpt.remoteCode());
      if (!text.isEmpty()) {
        t.append(' ').append(text);
      }
      t.append(CRLF);
      t.append("    Last attempt: ").append(date(rcpt.lastAttempt())).append(CRLF);
      if (rcpt.delayed() && rcpt.willRetryUntil() != null) {
        t.append("    Will keep trying until: ").append(date(rcpt.willRetryUntil())).append(CRLF);
      }
      t.append(CRLF);
    }
    t.append("A machine-readable delivery report");
    t.append(withHeaders ? " and the headers of your message are attached." : " is attached.");
    t.append(CRLF);
    return t.toString();
  }

  private static String deliveryStatus(DsnRequest r) {
    StringBuilder s = new StringBuilder(512);
    if (r.envelopeId() != null) {
      String envid = ascii(oneLine(r.envelopeId(), MAX_SHORT_TEXT));
      if (!envid.isEmpty()) {
        field(s, "Original-Envelope-Id", envid);
      }
    }
    field(s, "Reporting-MTA", "dns; " + r.reportingMta());
    field(s, "Arrival-Date", date(r.arrivalDate()));
    for (DsnRecipient rcpt : r.recipients()) {
      s.append(CRLF);
      String addr = rcpt.finalRecipient();
      field(s, "Final-Recipient",
          Addresses.isAscii(addr) ? "rfc822; " + addr : "utf-8; " + utf8AddrXtext(addr));
      field(s, "Action", rcpt.action());
      field(s, "Status", rcpt.status());
      if (rcpt.remoteMta() != null) {
        String mta = ascii(oneLine(rcpt.remoteMta(), MAX_SHORT_TEXT));
        if (!mta.isEmpty()) {
          field(s, "Remote-MTA", "dns; " + mta);
        }
      }
      String text = rcpt.remoteMessage() == null ? "" : ascii(oneLine(rcpt.remoteMessage(), MAX_REMOTE_TEXT));
      field(s, "Diagnostic-Code", "smtp; " + rcpt.remoteCode() + (text.isEmpty() ? "" : " " + text));
      field(s, "Last-Attempt-Date", date(rcpt.lastAttempt()));
      if (rcpt.delayed() && rcpt.willRetryUntil() != null) {
        field(s, "Will-Retry-Until", date(rcpt.willRetryUntil()));
      }
    }
    return s.toString();
  }

  private static void part(ByteArrayOutputStream out, String boundary, String headers, byte[] body) {
    out.writeBytes((CRLF + "--" + boundary + CRLF + headers + CRLF).getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(body);
  }

  /** A boundary derived from the Message-ID, changed until no part contains it. */
  private static String boundary(DsnRequest r, List<byte[]> bodies) {
    String base;
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest((r.messageIdLocalPart() + "@" + r.reportingMta()).getBytes(StandardCharsets.US_ASCII));
      base = "koukan-dsn-" + HexFormat.of().formatHex(d, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (int n = 0; ; n++) {
      String candidate = n == 0 ? base : base + "-" + n;
      byte[] needle = ("--" + candidate).getBytes(StandardCharsets.US_ASCII);
      if (bodies.stream().noneMatch(b -> indexOf(b, needle) >= 0)) {
        return candidate;
      }
    }
  }

  // ---------------------------------------------------------------- text helpers

  static String date(Instant t) {
    return RFC5322_DATE.format(t);
  }

  /**
   * Appends {@code name: value} CRLF, folding at spaces so lines stay within 78 characters where
   * possible and within 998 always ({@code value} must not contain CR or LF). A word longer
   * than {@value #MAX_WORD} characters is split into chunks on separate lines (unfolding then
   * shows a space between chunks).
   */
  static void field(StringBuilder out, String name, String value) {
    out.append(name).append(':');
    int lineLen = name.length() + 1;
    int wordsOnLine = 0;
    for (String word : value.split(" ", -1)) {
      for (int start = 0; start == 0 || start < word.length(); start += MAX_WORD) {
        String chunk = word.substring(start, Math.min(word.length(), start + MAX_WORD));
        if (wordsOnLine > 0 && lineLen + 1 + chunk.length() > FOLD_AT) {
          out.append(CRLF);
          lineLen = 0;
          wordsOnLine = 0;
        }
        out.append(' ').append(chunk);
        lineLen += 1 + chunk.length();
        wordsOnLine++;
      }
    }
    out.append(CRLF);
  }

  /**
   * Reduces untrusted text to one line: line breaks, tabs and every other control or format
   * character (C0, DEL, C1, Unicode separators, bidi/zero-width controls, unpaired surrogates)
   * become spaces, runs of spaces collapse, the
   * ends are trimmed, and text longer than {@code max} code points is cut and marked "...".
   */
  static String oneLine(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 3));
    int count = 0;
    boolean space = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      boolean blank = cp <= 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)
          || (cp >= 0xd800 && cp <= 0xdfff) // unpaired surrogate
          || Character.isWhitespace(cp) || Character.isSpaceChar(cp) // incl. U+2028/2029
          || Character.getType(cp) == Character.FORMAT; // bidi overrides, zero-width characters
      if (blank) {
        space = count > 0;
        continue;
      }
      if (count >= max) {
        b.append("...");
        return b.toString();
      }
      if (space) {
        b.append(' ');
        count++;
        space = false;
      }
      b.appendCodePoint(cp);
      count++;
    }
    return b.toString();
  }

  /** ASCII text for the delivery-status part: non-ASCII code points become {@code \x{HEX}}. */
  static String ascii(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(cp -> {
      if (cp < 0x80) {
        b.append((char) cp);
      } else {
        b.append("\\x{").append(String.format("%02X", cp)).append('}');
      }
    });
    return b.toString();
  }

  /** RFC 6533 utf-8-addr-xtext: QCHARs as is, everything else as {@code \x{HEX}}. */
  static String utf8AddrXtext(String address) {
    StringBuilder b = new StringBuilder(address.length() + 16);
    address.codePoints().forEach(cp -> {
      boolean qchar = cp >= 0x21 && cp <= 0x7e && cp != '+' && cp != '=' && cp != '\\';
      if (qchar) {
        b.append((char) cp);
      } else {
        b.append("\\x{").append(String.format("%02X", cp)).append('}');
      }
    });
    return b.toString();
  }

  // ---------------------------------------------------------------- byte helpers

  /** Line ends normalised to CRLF (bare LF and bare CR each become CRLF); ends with CRLF if non-empty. */
  static byte[] canonicalLines(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + in.length / 16 + 2);
    for (int i = 0; i < in.length; i++) {
      byte c = in[i];
      if (c == '\r') {
        out.write('\r');
        out.write('\n');
        if (i + 1 < in.length && in[i + 1] == '\n') {
          i++;
        }
      } else if (c == '\n') {
        out.write('\r');
        out.write('\n');
      } else {
        out.write(c);
      }
    }
    if (in.length > 0 && in[in.length - 1] != '\n' && in[in.length - 1] != '\r') {
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * Quoted-printable (RFC 2045 §6.7) of canonical text: CRLF pairs stay hard line breaks,
   * lines are soft-broken to at most 76 characters, whitespace before a line end is encoded.
   */
  static byte[] quotedPrintable(byte[] in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + in.length / 2 + 16);
    int col = 0;
    for (int i = 0; i < in.length; i++) {
      int c = in[i] & 0xff;
      if (c == '\r' && i + 1 < in.length && in[i + 1] == '\n') {
        out.write('\r');
        out.write('\n');
        i++;
        col = 0;
        continue;
      }
      boolean lineEnd = i + 1 == in.length
          || (in[i + 1] == '\r' && i + 2 < in.length && in[i + 2] == '\n');
      boolean literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !lineEnd);
      int width = literal ? 1 : 3;
      if (col + width > QP_LINE - 1) {
        out.write('=');
        out.write('\r');
        out.write('\n');
        col = 0;
      }
      if (literal) {
        out.write(c);
      } else {
        out.write('=');
        out.write(HEX[c >> 4]);
        out.write(HEX[c & 0xf]);
      }
      col += width;
    }
    return out.toByteArray();
  }

  /** First Message-ID field's msg-id in a canonical (CRLF) header block, or null. */
  static String findMessageId(byte[] block) {
    String text = new String(block, StandardCharsets.ISO_8859_1);
    String[] lines = text.split(CRLF, -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      if (line.isEmpty() || line.charAt(0) == ' ' || line.charAt(0) == '\t' || colon < 0) {
        continue;
      }
      if (!line.substring(0, colon).strip().equalsIgnoreCase("Message-ID")) {
        continue;
      }
      StringBuilder value = new StringBuilder(line.substring(colon + 1));
      for (int j = i + 1; j < lines.length && !lines[j].isEmpty()
          && (lines[j].charAt(0) == ' ' || lines[j].charAt(0) == '\t'); j++) {
        value.append(lines[j]);
      }
      Matcher m = MSG_ID.matcher(value);
      return m.find() ? m.group() : null;
    }
    return null;
  }

  static boolean is7bitText(byte[] text) {
    int lineLen = 0;
    for (byte b : text) {
      if (b <= 0 || b == 0x7f) {
        return false;
      }
      if (b == '\n') {
        lineLen = 0;
      } else if (b != '\r' && ++lineLen > MAX_LINE) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAscii(byte[] text) {
    for (byte b : text) {
      if (b < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUtf8(byte[] text) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(text));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static int indexOf(byte[] hay, byte b, int from) {
    for (int i = from; i < hay.length; i++) {
      if (hay[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
