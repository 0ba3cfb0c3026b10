package net.koukan.drop;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maildir-style unique names: {@code <sec>.M<usec>R<unique>.<host>,S=<size>} where {@code usec} is
 * the zero-padded 6-digit microsecond, {@code unique} is 16 hex digits (a random prefix of this
 * generator plus a counter, so two names from one generator never repeat, even in the same
 * microsecond) and {@code size} the stored byte count. '/', ':' and ',' in the host name are
 * written as {@code \057}, {@code \072} and {@code \054} (as Dovecot does). Uniqueness is still
 * backed by {@code If-None-Match: *} on every PUT.
 */
public final class ObjectNames {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final String host;
  private final long prefix;
  private final AtomicLong counter = new AtomicLong();

  public ObjectNames(String host) {
    this(host, RANDOM.nextLong());
  }

  /** With a fixed random prefix: two such generators produce the same names (tests of 412). */
  ObjectNames(String host, long prefix) {
    this.host = host.replace("/", "\\057").replace(":", "\\072").replace(",", "\\054");
    this.prefix = prefix & 0xffffffff00000000L;
  }

  /** The base name (no folder) for a message of {@code size} bytes received at {@code now}. */
  public String next(Instant now, long size) {
    long unique = prefix ^ (counter.incrementAndGet() & 0xffffffffL);
    return now.getEpochSecond() + ".M" + String.format("%06d", now.getNano() / 1000) + "R"
        + HexFormat.of().toHexDigits(unique) + "." + host + ",S=" + size;
  }

  /** The size encoded in a name's {@code ,S=} field, or -1. */
  public static long size(String name) {
    int s = name.lastIndexOf(",S=");
    if (s < 0) {
      return -1;
    }
    int end = s + 3;
    while (end < name.length() && Character.isDigit(name.charAt(end))) {
      end++;
    }
    try {
      return Long.parseLong(name.substring(s + 3, end));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
