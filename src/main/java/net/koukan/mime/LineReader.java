package net.koukan.mime;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a byte stream line by line (a line ends with LF or CRLF, or at the end of the stream)
 * while keeping each line's absolute offset. Only the first {@code keep} bytes of a line are
 * copied, so a line of any length costs bounded memory. One line can be pushed back.
 */
final class LineReader {
  private final InputStream in;
  private final byte[] buf = new byte[64 * 1024];
  private int pos;
  private int lim;
  private long base; // stream offset of buf[0]
  private boolean eof;
  private Line pushedBack;

  /**
   * One line.
   *
   * @param start offset of its first byte
   * @param length bytes including the line end
   * @param eol bytes of the line end: 2 (CRLF), 1 (LF) or 0 (end of stream)
   * @param head the first bytes of its content (never the line end)
   * @param truncated whether the content is longer than {@code head}
   */
  record Line(long start, long length, int eol, byte[] head, boolean truncated) {
    long contentLength() {
      return length - eol;
    }

    long end() {
      return start + length;
    }

    boolean isBlank() {
      return length == eol;
    }

    boolean startsWith(byte c) {
      return head.length > 0 && head[0] == c;
    }
  }

  LineReader(InputStream in) {
    this.in = in;
  }

  /** Offset of the next byte {@link #next} will return. */
  long position() {
    return pushedBack != null ? pushedBack.start() : base + pos;
  }

  void unread(Line line) {
    if (pushedBack != null) {
      throw new IllegalStateException("only one line can be pushed back");
    }
    pushedBack = line;
  }

  /** The next line with up to {@code keep} bytes of its content, or null at the end. */
  Line next(int keep) throws IOException {
    if (pushedBack != null) {
      Line l = pushedBack;
      pushedBack = null;
      return l; // pushed-back lines are boundary or header lines: their head is long enough
    }
    long start = base + pos;
    byte[] head = new byte[Math.min(keep, 256)];
    int headLen = 0;
    long length = 0;
    int last = -1;
    int beforeLast = -1;
    while (true) {
      if (pos == lim && !fill()) {
        break;
      }
      int i = pos;
      int stop = lim;
      int nl = -1;
      for (; i < stop; i++) {
        if (buf[i] == '\n') {
          nl = i;
          break;
        }
      }
      int chunkEnd = nl >= 0 ? nl + 1 : stop;
      int n = chunkEnd - pos;
      int copy = Math.min(n, keep + 2 - headLen); // +2: the line end may be among them
      if (copy > 0) {
        if (headLen + copy > head.length) {
          head = java.util.Arrays.copyOf(head, Math.min(keep + 2, Math.max(head.length * 2, headLen + copy)));
        }
        System.arraycopy(buf, pos, head, headLen, copy);
        headLen += copy;
      }
      if (n >= 2) {
        beforeLast = buf[chunkEnd - 2];
        last = buf[chunkEnd - 1];
      } else if (n == 1) {
        beforeLast = last;
        last = buf[chunkEnd - 1];
      }
      length += n;
      pos = chunkEnd;
      if (nl >= 0) {
        break;
      }
    }
    if (length == 0) {
      return null;
    }
    int eol = last == '\n' ? (beforeLast == '\r' && length >= 2 ? 2 : 1) : 0;
    long content = length - eol;
    int h = (int) Math.min(Math.min(headLen, keep), content);
    byte[] out = java.util.Arrays.copyOf(head, h);
    return new Line(start, length, eol, out, content > h);
  }

  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    base += lim;
    pos = 0;
    lim = 0;
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      eof = n < 0;
      if (n == 0) {
        int b = in.read();
        if (b < 0) {
          eof = true;
          return false;
        }
        buf[0] = (byte) b;
        lim = 1;
        return true;
      }
      return false;
    }
    lim = n;
    return true;
  }
}
