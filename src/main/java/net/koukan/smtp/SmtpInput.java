package net.koukan.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;

/**
 * The connection's input: our own buffer over the socket, so the server knows what the client has
 * already sent (PIPELINING: flush replies before blocking; STARTTLS: throw away plaintext sent
 * ahead) and reads lines, DATA and BDAT chunks from the same bytes. Every read has a timeout; the
 * {@link Hook} runs before any read that would block.
 */
final class SmtpInput {
  /** Runs before a read that would block (the connection flushes its replies there). */
  @FunctionalInterface
  interface Hook {
    void beforeBlockingRead() throws IOException;
  }

  /** A line without its terminator; {@code crlf} false for a bare-LF ending. */
  record Line(byte[] bytes, boolean crlf, boolean tooLong) {}

  private final byte[] buf;
  private final Hook hook;
  private int pos;
  private int lim;
  private Socket socket;
  private InputStream in;

  SmtpInput(int capacity, Hook hook) {
    this.buf = new byte[capacity];
    this.hook = hook;
  }

  /** Reads from {@code in} from now on (the socket, or its TLS layer); keeps the buffer. */
  void attach(Socket s, InputStream stream) {
    this.socket = s;
    this.in = stream;
  }

  int buffered() {
    return lim - pos;
  }

  /** Removes and returns what is buffered (STARTTLS discards it; SMTPS behind PROXY feeds it to TLS). */
  byte[] takeBuffered() {
    byte[] b = Arrays.copyOfRange(buf, pos, lim);
    pos = lim = 0;
    return b;
  }

  byte[] array() {
    return buf;
  }

  int pos() {
    return pos;
  }

  int limit() {
    return lim;
  }

  void consume(int n) {
    if (n < 0 || n > lim - pos) {
      throw new IllegalArgumentException("consume " + n);
    }
    pos += n;
  }

  /**
   * Reads more bytes into the buffer (compacting it first), waiting until {@code deadlineNanos}
   * ({@link System#nanoTime()} scale). Returns false at end of stream.
   */
  boolean fill(long deadlineNanos) throws IOException {
    if (pos == lim) {
      pos = lim = 0;
    } else if (lim == buf.length) {
      System.arraycopy(buf, pos, buf, 0, lim - pos);
      lim -= pos;
      pos = 0;
    }
    if (lim == buf.length) {
      throw new IllegalStateException("input buffer full");
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      throw new SocketTimeoutException("read deadline passed");
    }
    if (hook != null && in.available() == 0) {
      hook.beforeBlockingRead();
      remaining = deadlineNanos - System.nanoTime();
      if (remaining <= 0) {
        throw new SocketTimeoutException("read deadline passed");
      }
    }
    socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (remaining + 999_999) / 1_000_000)));
    int n = in.read(buf, lim, buf.length - lim);
    if (n < 0) {
      return false;
    }
    lim += n;
    return true;
  }

  /** Reads until at least {@code n} bytes are buffered; false at end of stream. */
  boolean ensure(int n, long deadlineNanos) throws IOException {
    if (n > buf.length) {
      throw new IllegalArgumentException("more than the buffer holds: " + n);
    }
    while (lim - pos < n) {
      if (!fill(deadlineNanos)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads one line ending in LF. A line longer than {@code max} octets (terminator included) is
   * read to its end and thrown away: the result has {@code tooLong} set and no bytes. Returns null
   * at end of stream before the first byte of a line; end of stream within a line is an
   * {@link EOFException}.
   */
  Line readLine(int max, long deadlineNanos) throws IOException {
    if (max > buf.length - 1) {
      throw new IllegalArgumentException("line limit above buffer size");
    }
    boolean discarding = false;
    boolean started = false;
    int scan = pos;
    while (true) {
      for (int i = scan; i < lim; i++) {
        if (buf[i] == '\n') {
          int len = i - pos; // content incl. a CR before the LF
          boolean crlf = len > 0 && buf[i - 1] == '\r';
          if (discarding || len + 1 > max) {
            pos = i + 1;
            return new Line(new byte[0], crlf, true);
          }
          byte[] line = Arrays.copyOfRange(buf, pos, crlf ? i - 1 : i);
          pos = i + 1;
          return new Line(line, crlf, false);
        }
      }
      if (lim > pos) {
        started = true;
      }
      if (lim - pos >= max) {
        discarding = true;
        // keep the last byte: a CR here may pair with an LF in the next read
        pos = lim - 1;
      }
      int kept = lim - pos;
      if (!fill(deadlineNanos)) {
        if (!started && !discarding) {
          return null;
        }
        throw new EOFException("connection closed within a line");
      }
      scan = pos + kept;
    }
  }
}
