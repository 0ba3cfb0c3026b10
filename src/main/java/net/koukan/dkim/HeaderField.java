package net.koukan.dkim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One header field as it appears in the message: {@code raw} is every byte from the start of its
 * name to the end of its last continuation line, without the final line break (line breaks inside
 * are CRLF). {@code name} is the lower-cased field name, or null for a line that is not a field
 * (no colon): such lines are kept in the header block but can never be signed.
 */
public record HeaderField(String name, byte[] raw) {

  /** Parses one field from its raw bytes (no trailing CRLF). */
  public static HeaderField of(byte[] raw) {
    int colon = indexOf(raw, (byte) ':');
    String name = null;
    if (colon > 0) {
      int end = colon;
      while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == '\t')) {
        end--;
      }
      boolean ok = end > 0;
      for (int i = 0; i < end && ok; i++) {
        ok = raw[i] > 0x20 && raw[i] < 0x7f;
      }
      if (ok) {
        name = new String(raw, 0, end, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
      }
    }
    return new HeaderField(name, raw);
  }

  public static HeaderField of(String field) {
    return of(field.getBytes(StandardCharsets.UTF_8));
  }

  /** The bytes after the colon (still folded). */
  public byte[] value() {
    int colon = indexOf(raw, (byte) ':');
    return Arrays.copyOfRange(raw, colon + 1, raw.length);
  }

  /** The value as text: UTF-8, unfolded (line breaks removed), trimmed. */
  public String unfoldedValue() {
    String v = new String(value(), StandardCharsets.UTF_8);
    return v.replace("\r", "").replace("\n", "").strip();
  }

  public boolean is(String lowerName) {
    return lowerName.equals(name);
  }

  static int indexOf(byte[] b, byte x) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == x) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeaderField h && java.util.Objects.equals(name, h.name)
        && Arrays.equals(raw, h.raw);
  }

  @Override
  public int hashCode() {
    return 31 * java.util.Objects.hashCode(name) + Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return new String(raw, StandardCharsets.UTF_8);
  }
}
