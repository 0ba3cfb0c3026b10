package net.koukan.smtpclient;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SMTP replies strictly (RFC 5321 §4.2): every line is {@code <code>-text} or, for the
 * last, {@code <code> text} or a bare {@code <code>}, ends with CRLF, and repeats the first
 * line's code; the code is 2xx–5xx with a second digit 0–5. Lines are capped at
 * {@link #MAX_LINE} bytes (without CRLF; RFC 5321 asks for 512 with it) and replies at
 * {@link #MAX_LINES} lines. Each reply must be complete
 * before its deadline, however slowly the bytes trickle in.
 */
final class ReplyReader {
  static final int MAX_LINE = 2048;
  static final int MAX_LINES = 100;

  /** The bytes are not a valid reply. */
  static final class MalformedReplyException extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedReplyException(String message) {
      super(message);
    }
  }

  /** Sets the read timeout of the underlying socket. */
  @FunctionalInterface
  interface Timeout {
    void set(int millis) throws IOException;
  }

  private final InputStream in;
  private final Timeout timeout;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int lim;
  private final byte[] line = new byte[MAX_LINE + 1]; // + the CR

  ReplyReader(Socket socket) throws IOException {
    this(socket.getInputStream(), socket::setSoTimeout);
  }

  ReplyReader(InputStream in, Timeout timeout) {
    this.in = in;
    this.timeout = timeout;
  }

  /** Bytes received but not yet consumed (a peer that sent more than it was asked for). */
  int buffered() {
    return lim - pos;
  }

  Reply read(long timeoutNanos) throws IOException {
    long deadline = System.nanoTime() + timeoutNanos;
    List<String> lines = new ArrayList<>();
    int code = -1;
    while (true) {
      int n = readLine(deadline);
      if (n < 3) {
        throw new MalformedReplyException("reply line too short: " + show(n));
      }
      int c = code(n);
      if (c < 0) {
        throw new MalformedReplyException("no reply code: " + show(n));
      }
      if (code >= 0 && c != code) {
        throw new MalformedReplyException("reply code changes within a reply: " + code + " then " + c);
      }
      code = c;
      boolean last;
      String text;
      if (n == 3) {
        last = true;
        text = "";
      } else if (line[3] == ' ' || line[3] == '-') {
        last = line[3] == ' ';
        text = new String(line, 4, n - 4, StandardCharsets.UTF_8);
      } else {
        throw new MalformedReplyException("no space or hyphen after the reply code: " + show(n));
      }
      lines.add(text);
      if (last) {
        return new Reply(code, lines);
      }
      if (lines.size() >= MAX_LINES) {
        throw new MalformedReplyException("reply longer than " + MAX_LINES + " lines");
      }
    }
  }

  private int code(int n) {
    int d0 = line[0] - '0';
    int d1 = line[1] - '0';
    int d2 = line[2] - '0';
    if (d0 < 2 || d0 > 5 || d1 < 0 || d1 > 5 || d2 < 0 || d2 > 9) {
      return -1;
    }
    return d0 * 100 + d1 * 10 + d2;
  }

  private String show(int n) {
    return Reply.sanitize(new String(line, 0, Math.min(n, 80), StandardCharsets.UTF_8));
  }

  /** Reads one line into {@link #line}; returns its length without the CRLF. */
  private int readLine(long deadline) throws IOException {
    int n = 0;
    while (true) {
      if (pos == lim) {
        fill(deadline);
      }
      byte b = buf[pos++];
      if (b == '\n') {
        if (n == 0 || line[n - 1] != '\r') {
          throw new MalformedReplyException("reply line ends with a bare LF");
        }
        return n - 1;
      }
      if (n == line.length) {
        throw new MalformedReplyException("reply line longer than " + MAX_LINE + " bytes");
      }
      line[n++] = b;
    }
  }

  private void fill(long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("reply deadline passed");
    }
    timeout.set((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
    int r = in.read(buf, 0, buf.length);
    if (r < 0) {
      throw new EOFException("connection closed by the peer");
    }
    pos = 0;
    lim = r;
  }
}
