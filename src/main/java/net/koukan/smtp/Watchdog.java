package net.koukan.smtp;

import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The deadline of what a connection's thread is doing that socket read timeouts cannot bound: an
 * application call (MAIL, RCPT, end of data), a write the peer does not drain, a TLS handshake.
 * The connection arms it before and disarms it after; the server's sweeper {@link #poll}s it and
 * ends the connection when it fired.
 */
final class Watchdog {
  /** What was armed: an application call (the client gets a 421) or I/O (just closed). */
  enum Kind { APP, IO }

  private final ReentrantLock lock = new ReentrantLock();
  private Kind armed;
  private long deadline;
  private Kind fired;
  private long firedAt;

  void arm(Kind kind, Duration timeout) {
    lock.lock();
    try {
      armed = kind;
      deadline = System.nanoTime() + timeout.toNanos();
    } finally {
      lock.unlock();
    }
  }

  /** Returns true when the deadline passed before this call (the connection is being closed). */
  boolean disarm() {
    lock.lock();
    try {
      armed = null;
      return fired != null;
    } finally {
      lock.unlock();
    }
  }

  boolean fired() {
    lock.lock();
    try {
      return fired != null;
    } finally {
      lock.unlock();
    }
  }

  /** Called by the sweeper: the kind that fired just now, else null. */
  Kind poll(long nowNanos) {
    lock.lock();
    try {
      if (armed != null && nowNanos - deadline >= 0) {
        fired = armed;
        firedAt = nowNanos;
        armed = null;
        return fired;
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** True when it fired more than {@code graceNanos} ago (the polite close is stuck). */
  boolean overdue(long nowNanos, long graceNanos) {
    lock.lock();
    try {
      return fired != null && nowNanos - firedAt > graceNanos;
    } finally {
      lock.unlock();
    }
  }
}
