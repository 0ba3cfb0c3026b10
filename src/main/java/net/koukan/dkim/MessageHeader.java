package net.koukan.dkim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Reads a message's header block from a stream, leaving the stream at the first byte of the body
 * (after the empty line). Lines may end in CRLF or a bare LF (both become CRLF inside fields); a
 * message without an empty line is all header and no body. The header block is limited in size;
 * the body is never read here.
 */
public final class MessageHeader {
  /** Default limit on the header block (as {@code message_validation}). */
  public static final int DEFAULT_MAX_BYTES = 1024 * 1024;

  private MessageHeader() {}

  /** The header block is over its limit. */
  public static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(int max) {
      super("header block larger than " + max + " bytes");
    }
  }

  /**
   * Reads the fields, top to bottom. {@code in} should be buffered: it is read byte by byte and
   * left positioned at the body.
   */
  public static List<HeaderField> read(InputStream in, int maxBytes) throws IOException {
    List<HeaderField> fields = new ArrayList<>();
    ByteArrayOutputStream field = null;
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    int total = 0;
    while (true) {
      line.reset();
      boolean eof = false;
      int c;
      while (true) {
        c = in.read();
        if (c < 0) {
          eof = true;
          break;
        }
        if (++total > maxBytes) {
          throw new TooLargeException(maxBytes);
        }
        if (c == '\n') {
          break;
        }
        line.write(c);
      }
      byte[] l = line.toByteArray();
      int len = l.length;
      if (!eof && len > 0 && l[len - 1] == '\r') {
        len--; // CRLF; a bare LF is a line end too
      }
      if (len == 0) {
        // the empty line (or the end of the message)
        if (field != null) {
          fields.add(HeaderField.of(field.toByteArray()));
        }
        return Collections.unmodifiableList(fields);
      }
      if ((l[0] == ' ' || l[0] == '\t') && field != null) {
        field.write('\r');
        field.write('\n');
        field.write(l, 0, len);
      } else {
        if (field != null) {
          fields.add(HeaderField.of(field.toByteArray()));
        }
        field = new ByteArrayOutputStream(Math.max(64, len + 16));
        field.write(l, 0, len);
      }
      if (eof) {
        fields.add(HeaderField.of(field.toByteArray()));
        return Collections.unmodifiableList(fields);
      }
    }
  }
}
