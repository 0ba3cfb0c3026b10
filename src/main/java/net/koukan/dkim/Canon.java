package net.koukan.dkim;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/** RFC 6376 §3.4 canonicalization algorithms, for header fields (here) and bodies ({@link BodyHasher}). */
public enum Canon {
  SIMPLE,
  RELAXED;

  /** The name in a {@code c=} tag. */
  public String tagValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Canon parse(String s) {
    return switch (s) {
      case "simple" -> SIMPLE;
      case "relaxed" -> RELAXED;
      default -> throw new IllegalArgumentException("unknown canonicalization " + s);
    };
  }

  /**
   * Writes the canonical form of a header field ({@code raw}: name to end of value, folded, no
   * final line break), followed by CRLF when {@code crlf}.
   */
  public void header(byte[] raw, boolean crlf, ByteArrayOutputStream out) {
    if (this == SIMPLE) {
      out.write(raw, 0, raw.length);
    } else {
      int colon = HeaderField.indexOf(raw, (byte) ':');
      if (colon < 0) {
        colon = raw.length;
      }
      // name: lower case, without white space before the colon
      int nameEnd = colon;
      while (nameEnd > 0 && isWsp(raw[nameEnd - 1])) {
        nameEnd--;
      }
      for (int i = 0; i < nameEnd; i++) {
        byte b = raw[i];
        out.write(b >= 'A' && b <= 'Z' ? b + 32 : b);
      }
      out.write(':');
      // value: unfolded, runs of WSP as one SP, none at either end
      boolean pendingSpace = false;
      boolean started = false;
      for (int i = colon + 1; i < raw.length; i++) {
        byte b = raw[i];
        if (b == '\r' || b == '\n') {
          continue;
        }
        if (isWsp(b)) {
          pendingSpace = true;
          continue;
        }
        if (pendingSpace && started) {
          out.write(' ');
        }
        pendingSpace = false;
        started = true;
        out.write(b);
      }
    }
    if (crlf) {
      out.write('\r');
      out.write('\n');
    }
  }

  static boolean isWsp(byte b) {
    return b == ' ' || b == '\t';
  }
}
