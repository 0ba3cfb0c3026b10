package net.koukan.mime;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Streaming pieces for writing text parts: UTF-8 validation, CRLF canonical form, quoted-printable. */
final class TextCodecs {
  private TextCodecs() {}

  /**
   * Incremental UTF-8 validator (RFC 3629: no overlong forms, no surrogates, nothing above
   * U+10FFFF). Feed bytes with {@link #update}, then ask {@link #valid}.
   */
  static final class Utf8Validator {
    private int remaining; // continuation bytes still expected
    private int lower = 0x80; // bounds of the next continuation byte
    private int upper = 0xbf;
    private boolean ok = true;

    void update(byte[] b, int off, int len) {
      for (int i = off; i < off + len && ok; i++) {
        int c = b[i] & 0xff;
        if (remaining > 0) {
          if (c < lower || c > upper) {
            ok = false;
          }
          remaining--;
          lower = 0x80;
          upper = 0xbf;
          continue;
        }
        if (c < 0x80) {
          continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
          remaining = 1;
        } else if (c == 0xe0) {
          remaining = 2;
          lower = 0xa0;
        } else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
          remaining = 2;
        } else if (c == 0xed) {
          remaining = 2;
          upper = 0x9f;
        } else if (c == 0xf0) {
          remaining = 3;
          lower = 0x90;
        } else if (c >= 0xf1 && c <= 0xf3) {
          remaining = 3;
        } else if (c == 0xf4) {
          remaining = 3;
          upper = 0x8f;
        } else {
          ok = false;
        }
      }
    }

    boolean valid() {
      return ok && remaining == 0;
    }
  }

  /**
   * Converts line ends to the canonical CRLF of text/* (RFC 2049 §4): bare LF and bare CR each
   * become CRLF, CRLF stays. Does not close the stream it writes to.
   */
  static final class CrlfOutputStream extends FilterOutputStream {
    private boolean lastCr;

    CrlfOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      if (b == '\r') {
        out.write('\r');
        out.write('\n');
        lastCr = true;
        return;
      }
      if (b == '\n') {
        if (!lastCr) {
          out.write('\r');
          out.write('\n');
        }
        lastCr = false;
        return;
      }
      lastCr = false;
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int start = off;
      for (int i = off; i < off + len; i++) {
        byte c = b[i];
        if (c == '\r' || c == '\n') {
          if (i > start) {
            out.write(b, start, i - start);
            lastCr = false;
          }
          write(c);
          start = i + 1;
        }
      }
      if (off + len > start) {
        out.write(b, start, off + len - start);
        lastCr = false;
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /**
   * Quoted-printable encoder (RFC 2045 §6.7) for text already in canonical form (every line
   * break CRLF): line breaks stay hard breaks, lines are cut with soft breaks at 76 characters,
   * whitespace before a line break is encoded. {@link #close} finishes the encoding without
   * closing the underlying stream; it reports whether the output ended with a hard line break.
   */
  static final class QpOutputStream extends OutputStream {
    private static final int MAX = 75; // characters before a soft break's '='
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final OutputStream out;
    private int column;
    private int pendingWs = -1;
    private boolean pendingCr;
    private boolean endedWithBreak = true;

    QpOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      b &= 0xff;
      if (pendingCr) {
        pendingCr = false;
        if (b == '\n') {
          hardBreak();
          return;
        }
        encoded('\r');
      }
      if (b == '\r') {
        pendingCr = true;
        return;
      }
      endedWithBreak = false;
      if (b == ' ' || b == '\t') {
        flushWs();
        pendingWs = b;
        return;
      }
      flushWs();
      if (b < 32 || b == '=' || b >= 127) {
        encoded(b);
      } else {
        put(1);
        out.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    private void flushWs() throws IOException {
      if (pendingWs >= 0) {
        put(1);
        out.write(pendingWs);
        pendingWs = -1;
      }
    }

    private void encoded(int b) throws IOException {
      put(3);
      out.write('=');
      out.write(HEX[b >> 4]);
      out.write(HEX[b & 15]);
    }

    private void put(int width) throws IOException {
      if (column + width > MAX) {
        out.write('=');
        out.write('\r');
        out.write('\n');
        column = 0;
      }
      column += width;
    }

    private void hardBreak() throws IOException {
      if (pendingWs >= 0) {
        int ws = pendingWs;
        pendingWs = -1;
        encoded(ws);
      }
      out.write('\r');
      out.write('\n');
      column = 0;
      endedWithBreak = true;
    }

    /** Whether everything written so far ended with a hard line break (or nothing was written). */
    boolean endedWithBreak() {
      return endedWithBreak && !pendingCr && pendingWs < 0;
    }

    @Override
    public void close() throws IOException {
      if (pendingCr) {
        pendingCr = false;
        encoded('\r');
        endedWithBreak = false;
      }
      if (pendingWs >= 0) {
        int ws = pendingWs;
        pendingWs = -1;
        encoded(ws);
      }
      out.flush();
    }

    /** Rough size of the QP encoding of {@code n} bytes of which {@code escaped} need =XX. */
    static long estimate(long n, long escaped) {
      return n + 2 * escaped + (n + 2 * escaped) / MAX * 3;
    }

    /** Whether a byte of canonical text is written as =XX (line breaks excluded). */
    static boolean escaped(int b) {
      b &= 0xff;
      return (b < 32 && b != '\t' && b != '\r' && b != '\n') || b == '=' || b >= 127;
    }
  }
}
