package net.koukan.smtpclient;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Idle SMTP sessions of one {@code smtp_output} stanza, kept for the next transaction to the same
 * host (as Postfix's connection cache): no TCP handshake, greeting, EHLO or STARTTLS per
 * message. A session is kept after a completed transaction (the peer answered the body) for at
 * most {@code idle}, and carries transactions for at most {@code maxAge} since it was opened;
 * a taken session is checked with RSET first, and one the peer closed meanwhile is dropped for
 * a fresh connection. At most {@link #MAX_PER_HOST} idle sessions per host.
 */
final class SessionCache {
  static final int MAX_PER_HOST = 16;

  private record Idle(SmtpClient client, long since, long opened) {}

  private final Duration idle;
  private final Duration maxAge;
  private final LongSupplier nanos;
  private final Map<String, ArrayDeque<Idle>> byHost = new HashMap<>();
  private boolean sweeping;

  SessionCache(Duration idle, Duration maxAge, LongSupplier nanos) {
    this.idle = idle;
    this.maxAge = maxAge;
    this.nanos = nanos;
  }

  /** An idle session to {@code peer} that answered RSET, and when it was opened; or null. */
  Taken take(String peer) {
    while (true) {
      Idle i;
      synchronized (this) {
        ArrayDeque<Idle> q = byHost.get(peer);
        i = q == null ? null : q.pollLast();
        if (q != null && q.isEmpty()) {
          byHost.remove(peer);
        }
      }
      if (i == null) {
        return null;
      }
      if (expired(i, nanos.getAsLong())) {
        i.client().quit();
      } else if (i.client().reset()) {
        return new Taken(i.client(), i.opened());
      }
      // expired, or the peer closed it meanwhile: try the next idle one
    }
  }

  /** A session taken from the cache, and when it was opened. */
  record Taken(SmtpClient client, long opened) {}

  /**
   * Keeps {@code client} (opened at {@code opened}, from {@link #now}) for the next transaction
   * if it is between transactions and young enough, else ends it.
   */
  void give(String peer, SmtpClient client, long opened) {
    long now = nanos.getAsLong();
    if (!client.ready() || now - opened >= maxAge.toNanos()) {
      client.quit();
      return;
    }
    boolean kept = false;
    boolean startSweeper = false;
    synchronized (this) {
      ArrayDeque<Idle> q = byHost.computeIfAbsent(peer, k -> new ArrayDeque<>());
      if (q.size() < MAX_PER_HOST) {
        q.addLast(new Idle(client, now, opened));
        kept = true;
        if (!sweeping) {
          sweeping = true;
          startSweeper = true;
        }
      }
    }
    if (!kept) {
      client.quit();
    }
    if (startSweeper) {
      Thread.ofVirtual().name("smtp-session-cache").start(this::sweepWhileAny);
    }
  }

  long now() {
    return nanos.getAsLong();
  }

  /** Ends idle sessions as they expire; stops when none is left. */
  private void sweepWhileAny() {
    long pause = Math.max(50, Math.min(1000, idle.toMillis() / 2));
    while (true) {
      try {
        Thread.sleep(pause);
      } catch (InterruptedException e) {
        return;
      }
      List<Idle> stale = new ArrayList<>();
      synchronized (this) {
        long now = nanos.getAsLong();
        for (Iterator<ArrayDeque<Idle>> it = byHost.values().iterator(); it.hasNext(); ) {
          ArrayDeque<Idle> q = it.next();
          q.removeIf(i -> {
            if (expired(i, now)) {
              stale.add(i);
              return true;
            }
            return false;
          });
          if (q.isEmpty()) {
            it.remove();
          }
        }
        if (byHost.isEmpty() && stale.isEmpty()) {
          sweeping = false;
          return;
        }
      }
      stale.forEach(s -> s.client().quit());
    }
  }

  private boolean expired(Idle i, long now) {
    return now - i.since() >= idle.toNanos() || now - i.opened() >= maxAge.toNanos();
  }
}
