package net.koukan.drop;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The consumer protocol of a drop destination (docs/object-store-drop.md, "Consumers"). Messages
 * arrive in {@code cur/}; a consumer {@link #claim claims} one, which moves it to
 * {@code processing/} under a lease only one consumer can hold; it then {@link #finish finishes}
 * it into {@code done/}, {@code failed/} or {@code retry/}. A lease that is not renewed expires
 * and the message can be claimed again from {@code processing/} (a crashed consumer's work is
 * redone: delivery to consumers is at-least-once). Listings are paged with a marker.
 */
public interface DropQueue {

  /** The folders of the protocol. */
  enum Folder {
    CUR, PROCESSING, DONE, FAILED, RETRY;

    public String dir() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Folder parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT).replaceAll("/+$", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown folder '" + s + "' (cur, processing, done, failed, retry)");
      }
    }
  }

  /** One message in a folder; {@code name} is the base name (no folder). */
  record Entry(Folder folder, String name, long size, String lastModified) {}

  /** One page of a listing; {@code nextMarker} null when this is the last page. */
  record Page(List<Entry> entries, String nextMarker) {}

  /**
   * A lease on one message, now in {@code processing/}. {@code owner} is unique per claim;
   * {@code handle} is the destination's own reference to the lease.
   */
  record Claim(String name, String owner, Instant expires, String handle) {
    /** A printable id of the claim ({@code <name>#<owner>#<expiry ms>}), for {@link #resume}. */
    public String id() {
      return name + "#" + owner + "#" + expires.toEpochMilli();
    }

    /** Name, owner and expiry back from {@link #id()}; the handle is left to the queue. */
    static Claim parse(String id, java.util.function.Function<String, String> handle) {
      String[] p = id.split("#");
      if (p.length != 3 || p[0].isEmpty() || p[1].isEmpty()) {
        throw new IllegalArgumentException("not a claim id: '" + id + "' (expected <name>#<owner>#<expiry ms>)");
      }
      try {
        return new Claim(p[0], p[1], Instant.ofEpochMilli(Long.parseLong(p[2])), handle.apply(id));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a claim id: '" + id + "' (expected <name>#<owner>#<expiry ms>)");
      }
    }
  }

  /** The lease was lost: it expired and another consumer claimed the message. */
  final class LeaseLostException extends IOException {
    private static final long serialVersionUID = 1L;

    public LeaseLostException(String message) {
      super(message);
    }
  }

  /** Messages in {@code folder} after {@code marker} (null: from the start), at most {@code limit}. */
  Page list(Folder folder, String marker, int limit) throws IOException;

  /**
   * Claims message {@code name} from {@code from} (CUR or RETRY; or PROCESSING, which succeeds
   * only when the lease there has expired). Empty when another consumer has it or it is gone.
   */
  Optional<Claim> claim(Folder from, String name, Duration lease) throws IOException;

  /** Claims the first claimable message: cur/, then retry/, then expired leases in processing/. */
  default Optional<Claim> claimNext(Duration lease) throws IOException {
    for (Folder f : List.of(Folder.CUR, Folder.RETRY, Folder.PROCESSING)) {
      String marker = null;
      do {
        Page p = list(f, marker, 1000);
        for (Entry e : p.entries()) {
          Optional<Claim> c = claim(f, e.name(), lease);
          if (c.isPresent()) {
            return c;
          }
        }
        marker = p.nextMarker();
      } while (marker != null);
    }
    return Optional.empty();
  }

  /** A claim made earlier (perhaps by another process) from its {@link Claim#id()}. */
  Claim resume(String claimId);

  /** The claimed message's bytes. */
  InputStream open(Claim claim) throws IOException;

  /** Extends the lease to {@code lease} from now. */
  Claim renew(Claim claim, Duration lease) throws IOException;

  /** Moves the claimed message to {@code to} (DONE, FAILED or RETRY) and ends the lease. */
  void finish(Claim claim, Folder to) throws IOException;
}
