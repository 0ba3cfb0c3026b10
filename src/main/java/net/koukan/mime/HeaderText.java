package net.koukan.mime;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Writing header fields for the message builder: RFC 5322 folding, RFC 2047 encoded-words for
 * non-ASCII text and display names, RFC 2231 parameters, addresses, dates and message ids. Every
 * method either returns text that can go into a header field as it is or throws
 * {@link InvalidSpecException}; none of them lets CR or LF through.
 */
final class HeaderText {
  private HeaderText() {}

  /** RFC 5322 §2.1.1: lines SHOULD be at most 78 characters... */
  static final int FOLD_AT = 78;
  /** ...and MUST be at most 998 octets. */
  static final int MAX_LINE = 998;
  /** RFC 2047 §2: an encoded-word is at most 75 characters. */
  static final int MAX_ENCODED_WORD = 75;
  private static final String B_PREFIX = "=?utf-8?b?";
  private static final String Q_PREFIX = "=?utf-8?q?";
  private static final int WORD_PAYLOAD = MAX_ENCODED_WORD - B_PREFIX.length() - 2;
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss xx", Locale.US);
  /** RFC 5322 atext, ASCII part. */
  private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

  // ------------------------------------------------------------------ folding

  /**
   * The field {@code name: body} folded at whitespace so that lines stay within {@link #FOLD_AT}
   * characters where the text allows, each line ended by CRLF. Unfolding (removing each CRLF)
   * gives back {@code name + ": " + body} exactly.
   *
   * @throws InvalidSpecException if a line would still exceed {@link #MAX_LINE} octets
   */
  static String fold(String name, String body) throws InvalidSpecException {
    String s = name + ": " + body;
    StringBuilder out = new StringBuilder(s.length() + 16);
    StringBuilder line = new StringBuilder();
    int i = s.indexOf(':') + 1; // the first line holds the name and the first word at least
    line.append(s, 0, i);
    boolean content = false;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && isWsp(s.charAt(i))) {
        i++;
      }
      int wordStart = i;
      while (i < s.length() && !isWsp(s.charAt(i))) {
        i++;
      }
      boolean onlyWsp = wordStart == i;
      if (!onlyWsp && content && width(line) + (i - start) > FOLD_AT) {
        endLine(out, line, name);
        line.setLength(0);
      }
      line.append(s, start, i);
      if (!onlyWsp) {
        content = true;
      }
    }
    endLine(out, line, name);
    return out.toString();
  }

  private static void endLine(StringBuilder out, StringBuilder line, String name)
      throws InvalidSpecException {
    if (line.toString().getBytes(StandardCharsets.UTF_8).length > MAX_LINE) {
      throw new InvalidSpecException("header " + name + " has a word too long to fold into "
          + MAX_LINE + " octets");
    }
    out.append(line).append("\r\n");
  }

  private static int width(CharSequence s) {
    return Character.codePointCount(s, 0, s.length());
  }

  static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }

  // ------------------------------------------------------------------ checks

  /** RFC 5322 field-name: printable ASCII except colon. */
  static void checkName(String name) throws InvalidSpecException {
    if (name.isEmpty() || name.length() > 76) {
      throw new InvalidSpecException("header name must be 1 to 76 characters: " + name);
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= 32 || c >= 127 || c == ':') {
        throw new InvalidSpecException("invalid header name: " + name);
      }
    }
  }

  /** Header values may hold any text but CR, LF and other control characters (TAB is allowed). */
  static void checkText(String what, String value) throws InvalidSpecException {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n') {
        throw new InvalidSpecException(what + " must not contain CR or LF");
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        throw new InvalidSpecException(what + " must not contain control characters");
      }
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < value.length()
            && Character.isLowSurrogate(value.charAt(i + 1))) {
          i++;
        } else {
          throw new InvalidSpecException(what + " contains an unpaired surrogate");
        }
      }
    }
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 127) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ unstructured text

  /**
   * An unstructured value (Subject, X-…) ready for {@link #fold}: ASCII words are kept as they
   * are, runs of words holding non-ASCII (or text that would read as an encoded-word) become
   * RFC 2047 encoded-words. Whitespace between an encoded run and plain text is kept as given.
   */
  static String unstructured(String value) {
    if (isAscii(value) && !value.contains("=?")) {
      return value;
    }
    StringBuilder out = new StringBuilder(value.length() * 2);
    int i = 0;
    int n = value.length();
    while (i < n) {
      int wsStart = i;
      while (i < n && isWsp(value.charAt(i))) {
        i++;
      }
      String ws = value.substring(wsStart, i);
      int wordStart = i;
      while (i < n && !isWsp(value.charAt(i))) {
        i++;
      }
      String word = value.substring(wordStart, i);
      if (word.isEmpty()) {
        out.append(ws);
        break;
      }
      if (!needsEncoding(word)) {
        out.append(ws).append(word);
        continue;
      }
      // gather the run of words needing encoding, with the whitespace between them
      StringBuilder run = new StringBuilder(word);
      while (true) {
        int j = i;
        while (j < n && isWsp(value.charAt(j))) {
          j++;
        }
        int k = j;
        while (k < n && !isWsp(value.charAt(k))) {
          k++;
        }
        if (j == k || !needsEncoding(value.substring(j, k))) {
          break;
        }
        run.append(value, i, k);
        i = k;
      }
      out.append(ws).append(String.join(" ", encodedWords(run.toString(), false)));
    }
    return out.toString();
  }

  private static boolean needsEncoding(String word) {
    return !isAscii(word) || (word.contains("=?") && word.contains("?="));
  }

  /**
   * {@code text} as RFC 2047 encoded-words in UTF-8, each at most 75 characters, split only
   * between code points. Uses Q or B, whichever is shorter. {@code phrase}: the stricter Q
   * alphabet of RFC 2047 §5(3), for display names.
   */
  static List<String> encodedWords(String text, boolean phrase) {
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    int qLen = 0;
    for (byte b : all) {
      qLen += qLength(b, phrase);
    }
    boolean useQ = qLen <= (all.length + 2) / 3 * 4;
    List<String> words = new ArrayList<>();
    ByteChunk chunk = new ByteChunk();
    int budget = useQ ? WORD_PAYLOAD : WORD_PAYLOAD / 4 * 3;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      byte[] cpBytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
      int cost = 0;
      if (useQ) {
        for (byte b : cpBytes) {
          cost += qLength(b, phrase);
        }
      } else {
        cost = cpBytes.length;
      }
      if (chunk.cost + cost > budget && chunk.length > 0) {
        words.add(encodeWord(chunk.bytes(), useQ, phrase));
        chunk = new ByteChunk();
      }
      chunk.add(cpBytes, cost);
      i += Character.charCount(cp);
    }
    if (chunk.length > 0 || words.isEmpty()) {
      words.add(encodeWord(chunk.bytes(), useQ, phrase));
    }
    return words;
  }

  private static final class ByteChunk {
    byte[] buf = new byte[64];
    int length;
    int cost;

    void add(byte[] b, int c) {
      if (length + b.length > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, length + b.length));
      }
      System.arraycopy(b, 0, buf, length, b.length);
      length += b.length;
      cost += c;
    }

    byte[] bytes() {
      return java.util.Arrays.copyOf(buf, length);
    }
  }

  private static String encodeWord(byte[] bytes, boolean q, boolean phrase) {
    if (!q) {
      return B_PREFIX + Base64.getEncoder().encodeToString(bytes) + "?=";
    }
    StringBuilder b = new StringBuilder(Q_PREFIX);
    for (byte x : bytes) {
      int c = x & 0xff;
      if (c == ' ') {
        b.append('_');
      } else if (qPlain(c, phrase)) {
        b.append((char) c);
      } else {
        b.append('=').append(HEX[c >> 4]).append(HEX[c & 15]);
      }
    }
    return b.append("?=").toString();
  }

  private static int qLength(byte x, boolean phrase) {
    int c = x & 0xff;
    return c == ' ' || qPlain(c, phrase) ? 1 : 3;
  }

  private static boolean qPlain(int c, boolean phrase) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    if (phrase) {
      return "!*+-/".indexOf(c) >= 0;
    }
    return c > 32 && c < 127 && c != '=' && c != '?' && c != '_';
  }

  // ------------------------------------------------------------------ addresses

  /**
   * A mailbox for From/To/Cc/Bcc: {@code addr-spec} alone, or {@code display-name <addr-spec>}
   * with the display name as atoms, a quoted-string, or encoded-words when it is not ASCII.
   */
  static String mailbox(String displayName, String address) throws InvalidSpecException {
    String spec = addrSpec(address);
    if (displayName == null || displayName.isEmpty()) {
      return spec;
    }
    checkText("display_name", displayName);
    return phrase(displayName) + " <" + spec + ">";
  }

  /** A display name as RFC 5322 phrase: atoms, a quoted-string, or encoded-words. */
  static String phrase(String name) {
    if (!isAscii(name) || name.contains("=?")) {
      return String.join(" ", encodedWords(name, true));
    }
    boolean atoms = !name.isEmpty() && !isWsp(name.charAt(0)) && !isWsp(name.charAt(name.length() - 1));
    for (int i = 0; i < name.length() && atoms; i++) {
      char c = name.charAt(i);
      if (c == ' ') {
        atoms = name.charAt(i - 1) != ' ';
      } else {
        atoms = isAtext(c);
      }
    }
    return atoms ? name : quoted(name);
  }

  private static String quoted(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  static boolean isAtext(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || ATEXT_SPECIALS.indexOf(c) >= 0;
  }

  /**
   * An address as RFC 5322 addr-spec: the local part as dot-atom or quoted-string (non-ASCII
   * kept as UTF-8, RFC 6532), a non-ASCII domain converted to its A-label form.
   */
  static String addrSpec(String address) throws InvalidSpecException {
    checkText("address", address);
    int at = address.lastIndexOf('@');
    if (at <= 0 || at == address.length() - 1 || address.length() > 320) {
      throw new InvalidSpecException("invalid address: " + address);
    }
    return localPart(address.substring(0, at), address) + "@" + domain(address.substring(at + 1), address);
  }

  private static String localPart(String local, String address) throws InvalidSpecException {
    if (local.length() >= 2 && local.startsWith("\"") && local.endsWith("\"")) {
      String inner = local.substring(1, local.length() - 1);
      StringBuilder raw = new StringBuilder();
      for (int i = 0; i < inner.length(); i++) {
        char c = inner.charAt(i);
        if (c == '\\' && i + 1 < inner.length()) {
          raw.append(inner.charAt(++i));
        } else if (c == '"' || c == '\\') {
          throw new InvalidSpecException("invalid quoted local part: " + address);
        } else {
          raw.append(c);
        }
      }
      local = raw.toString();
    }
    if (isDotAtom(local)) {
      return local;
    }
    return quoted(local);
  }

  private static boolean isDotAtom(String s) {
    if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '.' && !isAtext(c) && c < 0x80) {
        return false;
      }
    }
    return true;
  }

  private static String domain(String domain, String address) throws InvalidSpecException {
    if (domain.startsWith("[")) {
      if (!domain.endsWith("]") || domain.length() < 3) {
        throw new InvalidSpecException("invalid domain literal: " + address);
      }
      for (int i = 1; i < domain.length() - 1; i++) {
        char c = domain.charAt(i);
        if (c <= 32 || c >= 127 || c == '[' || c == ']' || c == '\\') {
          throw new InvalidSpecException("invalid domain literal: " + address);
        }
      }
      return domain;
    }
    String ascii;
    try {
      ascii = isAscii(domain) ? domain : IDN.toASCII(domain);
    } catch (IllegalArgumentException e) {
      throw new InvalidSpecException("invalid domain: " + address);
    }
    if (ascii.isEmpty() || ascii.startsWith(".") || ascii.endsWith(".") || ascii.contains("..")) {
      throw new InvalidSpecException("invalid domain: " + address);
    }
    for (int i = 0; i < ascii.length(); i++) {
      char c = ascii.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_')) {
        throw new InvalidSpecException("invalid domain: " + address);
      }
    }
    return ascii;
  }

  /** The domain part of an address in A-label form, or null for a domain literal. */
  static String domainOf(String address) throws InvalidSpecException {
    String spec = addrSpec(address);
    String d = spec.substring(spec.lastIndexOf('@') + 1);
    return d.startsWith("[") ? null : d.toLowerCase(Locale.ROOT);
  }

  // ------------------------------------------------------------------ ids, dates

  /** A msg-id without angle brackets: printable ASCII, no whitespace, no angle brackets. */
  static String msgId(String id) throws InvalidSpecException {
    String s = id;
    if (s.length() >= 2 && s.startsWith("<") && s.endsWith(">")) {
      s = s.substring(1, s.length() - 1);
    }
    if (s.isEmpty() || s.length() > 250) {
      throw new InvalidSpecException("message id must be 1 to 250 characters");
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 32 || c >= 127 || c == '<' || c == '>') {
        throw new InvalidSpecException("invalid message id: " + id);
      }
    }
    return s;
  }

  /** RFC 5322 date-time, e.g. {@code Wed, 06 Mar 2024 10:42:31 -0800}. */
  static String date(long unixSecs, int offsetSecs) {
    return DATE.format(Instant.ofEpochSecond(unixSecs).atOffset(ZoneOffset.ofTotalSeconds(offsetSecs)));
  }

  // ------------------------------------------------------------------ MIME parameters

  /**
   * One MIME parameter as header text: {@code name="value"} for short ASCII values, else RFC 2231
   * {@code name*=utf-8''…}, split into {@code name*0*}, {@code name*1*}… sections when long.
   * Returns one or more segments, to be joined with {@code "; "}.
   */
  static List<String> parameter(String name, String value) throws InvalidSpecException {
    checkText(name, value);
    if (isAscii(value) && name.length() + value.length() + 3 <= 60) {
      return List.of(name + "=" + quoted(value));
    }
    StringBuilder enc = new StringBuilder();
    List<Integer> cuts = new ArrayList<>(); // positions between whole characters
    for (int i = 0; i < value.length(); ) {
      int cp = value.codePointAt(i);
      for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
        int c = x & 0xff;
        if (isAttributeChar(c)) {
          enc.append((char) c);
        } else {
          enc.append('%').append(HEX[c >> 4]).append(HEX[c & 15]);
        }
      }
      cuts.add(enc.length());
      i += Character.charCount(cp);
    }
    String single = name + "*=utf-8''" + enc;
    if (single.length() <= 70) {
      return List.of(single);
    }
    List<String> out = new ArrayList<>();
    int from = 0;
    int last = 0;
    for (int cut : cuts) {
      String prefix = name + "*" + out.size() + "*=" + (out.isEmpty() ? "utf-8''" : "");
      if (cut - from + prefix.length() > 70 && last > from) {
        out.add(prefix + enc.substring(from, last));
        from = last;
      }
      last = cut;
    }
    if (last > from) {
      out.add(name + "*" + out.size() + "*=" + (out.isEmpty() ? "utf-8''" : "") + enc.substring(from, last));
    }
    return out;
  }

  /** RFC 2231 attribute-char: token characters except '*', '\'' and '%'. */
  private static boolean isAttributeChar(int c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      return true;
    }
    return "!#$&+-.^_`|~".indexOf(c) >= 0;
  }
}
