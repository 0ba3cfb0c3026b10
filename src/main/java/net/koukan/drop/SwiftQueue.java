package net.koukan.drop;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.drop.swift.SwiftException;
import net.koukan.drop.swift.SwiftObject;

/**
 * {@link DropQueue} on a Swift container. The lease is a lock object {@code locks/<name>} created
 * with {@code If-None-Match: *} and {@code X-Delete-At} = the lease's end: Swift itself hides an
 * expired lock, so the next {@code If-None-Match: *} PUT succeeds and an expired lease is taken
 * over. Swift checks {@code If-None-Match} when a PUT starts, not atomically with its write, so two
 * PUTs in flight at once can both get 201 (the later one's timestamp wins): after a 201 we wait
 * {@code settle} (longer than such a PUT takes) and read the lock back; only the owner it names
 * holds the lease. Moves are COPY then DELETE; a DELETE answering 404 means another consumer moved
 * the message first (we lost). {@link #finish} checks the lease again before moving.
 */
public final class SwiftQueue implements DropQueue {
  static final String LOCKS = "locks/";
  private final SwiftClient client;
  private final String container;
  private final Clock clock;
  private final Duration settle;

  public SwiftQueue(SwiftClient client, String container, Clock clock) {
    this(client, container, clock, Duration.ofMillis(200));
  }

  /** @param settle how long concurrent lock PUTs are given to land before the lock is read back */
  public SwiftQueue(SwiftClient client, String container, Clock clock, Duration settle) {
    this.client = client;
    this.container = container;
    this.clock = clock;
    this.settle = settle;
  }

  @Override
  public Page list(Folder folder, String marker, int limit) throws IOException {
    String prefix = folder.dir() + "/";
    List<SwiftObject> objs = client.list(container, prefix, marker == null ? null : prefix + marker, limit);
    List<Entry> out = new ArrayList<>(objs.size());
    for (SwiftObject o : objs) {
      String n = o.name().substring(prefix.length());
      if (!n.isEmpty() && !n.contains("/")) {
        out.add(new Entry(folder, n, o.bytes(), o.lastModified()));
      }
    }
    String next = objs.size() < limit || objs.isEmpty() ? null
        : objs.get(objs.size() - 1).name().substring(prefix.length());
    return new Page(out, next);
  }

  @Override
  public Optional<Claim> claim(Folder from, String name, Duration lease) throws IOException {
    if (from != Folder.CUR && from != Folder.RETRY && from != Folder.PROCESSING) {
      throw new IllegalArgumentException("claim from cur, retry or processing, not " + from.dir());
    }
    checkName(name);
    String owner = UUID.randomUUID().toString();
    Instant expires = clock.instant().plus(lease);
    if (!lock(name, owner, expires)) {
      return Optional.empty();
    }
    Claim claim = new Claim(name, owner, expires, LOCKS + name);
    if (from == Folder.PROCESSING) {
      int s = client.head(container, "processing/" + name).status();
      if (s / 100 == 2) {
        return Optional.of(claim); // an expired lease taken over
      }
      unlock(claim);
      if (s == 404) {
        return Optional.empty();
      }
      throw new SwiftException(s, "HEAD processing/" + name + ": HTTP " + s);
    }
    int c = client.copy(container, from.dir() + "/" + name, container, "processing/" + name);
    if (c == 404) { // stale listing: already moved
      unlock(claim);
      return Optional.empty();
    }
    if (c != 201) {
      unlock(claim);
      throw new SwiftException(c, "COPY " + from.dir() + "/" + name + " to processing/: HTTP " + c);
    }
    int d = client.delete(container, from.dir() + "/" + name);
    if (d == 404) { // another consumer moved it meanwhile: it is theirs
      unlock(claim);
      return Optional.empty();
    }
    if (d / 100 != 2) {
      throw new SwiftException(d, "DELETE " + from.dir() + "/" + name + ": HTTP " + d);
    }
    return Optional.of(claim);
  }

  private boolean lock(String name, String owner, Instant expires) throws SwiftException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("If-None-Match", "*");
    h.put("Content-Type", "text/plain");
    h.put("X-Delete-At", Long.toString(deleteAt(expires)));
    h.put("X-Object-Meta-Owner", owner);
    h.put("X-Object-Meta-Expires", expires.toString());
    int s = client.put(container, LOCKS + name, h, owner.getBytes(StandardCharsets.US_ASCII)).status();
    if (s == 201) {
      return settled(name, owner);
    }
    if (s == 412) {
      return false;
    }
    throw new SwiftException(s, "PUT lock " + LOCKS + name + ": HTTP " + s);
  }

  /** After a 201 for our lock: whether it is still ours once concurrent PUTs have landed. */
  private boolean settled(String name, String owner) throws SwiftException {
    try {
      Thread.sleep(settle);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SwiftException(0, "interrupted while taking the lock on " + name);
    }
    SwiftClient.Response r = client.head(container, LOCKS + name);
    if (r.status() / 100 == 2) {
      return owner.equals(r.header("X-Object-Meta-Owner"));
    }
    if (r.status() == 404) {
      return false;
    }
    throw new SwiftException(r.status(), "HEAD " + LOCKS + name + ": HTTP " + r.status());
  }

  /** Swift's X-Delete-At has whole seconds; the lock lives until at least {@code expires}. */
  private static long deleteAt(Instant expires) {
    return expires.getEpochSecond() + (expires.getNano() > 0 ? 1 : 0);
  }

  /** Whether we still hold the lease (or could take it back because nobody else did). */
  private boolean holds(Claim claim) throws SwiftException {
    SwiftClient.Response r = client.head(container, claim.handle());
    if (r.status() / 100 == 2) {
      return claim.owner().equals(r.header("X-Object-Meta-Owner"));
    }
    if (r.status() == 404) { // expired and nobody took it: take it back
      return lock(claim.name(), claim.owner(), clock.instant().plusSeconds(60));
    }
    throw new SwiftException(r.status(), "HEAD " + claim.handle() + ": HTTP " + r.status());
  }

  private void unlock(Claim claim) {
    try {
      SwiftClient.Response r = client.head(container, claim.handle());
      if (r.status() / 100 == 2 && claim.owner().equals(r.header("X-Object-Meta-Owner"))) {
        client.delete(container, claim.handle());
      }
    } catch (SwiftException e) {
      // the lock expires by itself
    }
  }

  @Override
  public Claim resume(String claimId) {
    return Claim.parse(claimId, id -> LOCKS + id.substring(0, id.indexOf('#')));
  }

  @Override
  public InputStream open(Claim claim) throws IOException {
    return client.open(container, "processing/" + claim.name()).body();
  }

  @Override
  public Claim renew(Claim claim, Duration lease) throws IOException {
    if (!holds(claim)) {
      throw new LeaseLostException("lease on " + claim.name() + " was taken by another consumer");
    }
    Instant expires = clock.instant().plus(lease);
    Map<String, String> h = new LinkedHashMap<>();
    h.put("X-Delete-At", Long.toString(deleteAt(expires)));
    h.put("X-Object-Meta-Owner", claim.owner());
    h.put("X-Object-Meta-Expires", expires.toString());
    int s = client.post(container, claim.handle(), h);
    if (s == 404) {
      throw new LeaseLostException("lease on " + claim.name() + " expired");
    }
    if (s / 100 != 2) {
      throw new SwiftException(s, "POST " + claim.handle() + ": HTTP " + s);
    }
    return new Claim(claim.name(), claim.owner(), expires, claim.handle());
  }

  @Override
  public void finish(Claim claim, Folder to) throws IOException {
    if (to != Folder.DONE && to != Folder.FAILED && to != Folder.RETRY) {
      throw new IllegalArgumentException("finish into done, failed or retry, not " + to.dir());
    }
    if (!holds(claim)) {
      throw new LeaseLostException("lease on " + claim.name() + " was taken by another consumer");
    }
    String src = "processing/" + claim.name();
    int c = client.copy(container, src, container, to.dir() + "/" + claim.name());
    if (c == 404) {
      unlock(claim);
      throw new LeaseLostException(src + " is gone: another consumer finished it");
    }
    if (c != 201) {
      throw new SwiftException(c, "COPY " + src + " to " + to.dir() + "/: HTTP " + c);
    }
    int d = client.delete(container, src);
    if (d / 100 != 2 && d != 404) {
      throw new SwiftException(d, "DELETE " + src + ": HTTP " + d);
    }
    unlock(claim);
  }

  static void checkName(String name) {
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("not a message name: '" + name + "'");
    }
  }
}
