package net.koukan.smtpclient;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Deadlines for what a socket timeout does not cover: a write to a peer that stopped reading, a
 * TLS handshake. While armed, a virtual thread (started on first use, ended by {@link #close})
 * closes the socket when the deadline passes, so the blocked call fails at once; {@link #fired}
 * then tells a timeout from other failures.
 */
final class WriteGuard implements AutoCloseable {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private Socket socket;
  private long deadline;
  private boolean armed;
  private boolean fired;
  private boolean closed;
  private Thread thread;

  void socket(Socket s) {
    lock.lock();
    try {
      socket = s;
    } finally {
      lock.unlock();
    }
  }

  void arm(Duration timeout) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      deadline = System.nanoTime() + timeout.toNanos();
      armed = true;
      fired = false;
      if (thread == null) {
        thread = Thread.ofVirtual().name("smtp-client-write-guard").start(this::run);
      }
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  void disarm() {
    lock.lock();
    try {
      armed = false;
    } finally {
      lock.unlock();
    }
  }

  boolean fired() {
    lock.lock();
    try {
      return fired;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      armed = false;
      changed.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    lock.lock();
    try {
      while (!closed) {
        if (!armed) {
          changed.await();
          continue;
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
          changed.await(left, TimeUnit.NANOSECONDS);
          continue;
        }
        fired = true;
        armed = false;
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException e) {
            // closing is all we can do
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }
}
