package net.koukan.smtp;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connection's replies: buffered in order and written when the connection flushes (before it
 * blocks on input, RFC 2920). A lock keeps the one other writer, the watchdog's last
 * {@code 421}, from interleaving.
 */
final class ReplyWriter {
  private final ReentrantLock lock = new ReentrantLock();
  private OutputStream out;
  private byte[] buf = new byte[2048];
  private int n;

  void attach(OutputStream o) {
    lock.lock();
    try {
      out = o;
    } finally {
      lock.unlock();
    }
  }

  void send(Reply r) {
    byte[] b = r.encode();
    lock.lock();
    try {
      if (n + b.length > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + b.length));
      }
      System.arraycopy(b, 0, buf, n, b.length);
      n += b.length;
    } finally {
      lock.unlock();
    }
  }

  int pending() {
    lock.lock();
    try {
      return n;
    } finally {
      lock.unlock();
    }
  }

  void flush() throws IOException {
    lock.lock();
    try {
      writePending();
    } finally {
      lock.unlock();
    }
  }

  /** Throws away unsent replies (before a TLS handshake nothing may be pending anyway). */
  void discard() {
    lock.lock();
    try {
      n = 0;
    } finally {
      lock.unlock();
    }
  }

  /**
   * From another thread: appends {@code r} and writes everything, if the lock comes within
   * {@code waitMillis}. Returns false when it could not.
   */
  boolean sendNow(Reply r, long waitMillis) {
    try {
      if (!lock.tryLock(waitMillis, TimeUnit.MILLISECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    try {
      send(r);
      writePending();
      return true;
    } catch (IOException e) {
      return false;
    } finally {
      lock.unlock();
    }
  }

  private void writePending() throws IOException {
    if (n > 0) {
      int len = n;
      n = 0;
      out.write(buf, 0, len);
    }
    out.flush();
  }
}
