package net.koukan.dkim;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict RFC 6376 §3.2 tag-list ({@code tag=value; tag=value[;]}), as used by DKIM-Signature
 * header fields and DKIM key records. The text is taken byte for byte (ISO-8859-1 chars), so
 * 8-bit values (RFC 8616) survive. Refused: a tag name that is not {@code ALPHA *(ALPHA / DIGIT /
 * "_")}, a missing {@code =}, an empty tag-spec ({@code ;;}), a duplicate tag, a control
 * character, a CR or LF that is not part of folding white space. Values are returned without
 * their surrounding white space; white space inside a value (folding in {@code b=}) is kept.
 */
public final class TagList {
  private TagList() {}

  /** A tag-list that does not follow the grammar. */
  public static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxException(String message) {
      super(message);
    }
  }

  public static Map<String, String> parse(String text) throws SyntaxException {
    Map<String, String> out = new LinkedHashMap<>();
    int n = text.length();
    int i = 0;
    while (true) {
      i = skipFws(text, i);
      if (i >= n) {
        if (out.isEmpty()) {
          throw new SyntaxException("empty tag-list");
        }
        return Collections.unmodifiableMap(out);
      }
      int nameStart = i;
      if (!isAlpha(text.charAt(i))) {
        throw new SyntaxException("bad tag name at offset " + i);
      }
      while (i < n && (isAlpha(text.charAt(i)) || isDigit(text.charAt(i)) || text.charAt(i) == '_')) {
        i++;
      }
      String name = text.substring(nameStart, i);
      i = skipFws(text, i);
      if (i >= n || text.charAt(i) != '=') {
        throw new SyntaxException("tag " + name + " has no '='");
      }
      i++;
      int valueStart = i;
      while (i < n && text.charAt(i) != ';') {
        char c = text.charAt(i);
        if (c == '\r' || c == '\n') {
          int j = skipFws(text, i);
          if (j == i) {
            throw new SyntaxException("bare CR or LF in the value of " + name);
          }
          i = j;
          continue;
        }
        if (c < 0x20 && c != '\t' || c == 0x7f) {
          throw new SyntaxException("control character in the value of " + name);
        }
        i++;
      }
      String value = trimFws(text.substring(valueStart, i));
      if (out.putIfAbsent(name, value) != null) {
        throw new SyntaxException("duplicate tag " + name);
      }
      if (i >= n) {
        return Collections.unmodifiableMap(out);
      }
      i++; // ';'
      int after = skipFws(text, i);
      if (after >= n) {
        return Collections.unmodifiableMap(out); // one trailing ';'
      }
      if (text.charAt(after) == ';') {
        throw new SyntaxException("empty tag-spec");
      }
    }
  }

  /** Skips folding white space: WSP, and CRLF (or LF) only when followed by WSP. */
  private static int skipFws(String s, int i) {
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t') {
        i++;
      } else if (c == '\r' && i + 2 < n && s.charAt(i + 1) == '\n' && isWsp(s.charAt(i + 2))) {
        i += 3;
      } else if (c == '\n' && i + 1 < n && isWsp(s.charAt(i + 1))) {
        i += 2;
      } else if ((c == '\r' && i + 2 == n && s.charAt(i + 1) == '\n') || (c == '\n' && i + 1 == n)) {
        i = n; // a line break ending the text (a header field's own CRLF)
      } else {
        break;
      }
    }
    return i;
  }

  private static String trimFws(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && isFwsChar(s.charAt(a))) {
      a++;
    }
    while (b > a && isFwsChar(s.charAt(b - 1))) {
      b--;
    }
    return s.substring(a, b);
  }

  /** Removes every folding white space character (for base64 values and colon lists). */
  public static String stripFws(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!isFwsChar(c)) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static boolean isFwsChar(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  private static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
