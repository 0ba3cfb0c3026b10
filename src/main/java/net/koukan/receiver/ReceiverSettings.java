package net.koukan.receiver;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a receiver runs.
 *
 * @param dir where messages are written (must exist)
 * @param baseUri the URL clients reach this receiver at (Location and blob URIs); null: the
 *     listening address
 * @param ttl a transaction with no request for this long is forgotten (its partial body deleted)
 * @param maxMessageSize largest body accepted (413 beyond)
 * @param maxLongPollSeconds longest GET long-poll (and the default without request-timeout)
 * @param maxTransactions transactions kept at once (503 beyond)
 */
public record ReceiverSettings(Path dir, String baseUri, Duration ttl, long maxMessageSize,
    int maxLongPollSeconds, int maxTransactions) {

  public ReceiverSettings {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(ttl, "ttl");
    if (baseUri != null && baseUri.endsWith("/")) {
      baseUri = baseUri.substring(0, baseUri.length() - 1);
    }
    if (ttl.isNegative() || ttl.isZero() || maxMessageSize < 0 || maxLongPollSeconds < 0
        || maxTransactions < 1) {
      throw new IllegalArgumentException("invalid receiver settings");
    }
  }

  /** TTL 300 s, 64 MiB messages, 30 s long-polls, 10000 transactions. */
  public static ReceiverSettings defaults(Path dir) {
    return new ReceiverSettings(dir, null, Duration.ofSeconds(300), 64L << 20, 30, 10_000);
  }

  public ReceiverSettings withBaseUri(String uri) {
    return new ReceiverSettings(dir, uri, ttl, maxMessageSize, maxLongPollSeconds, maxTransactions);
  }

  public ReceiverSettings withTtl(Duration t) {
    return new ReceiverSettings(dir, baseUri, t, maxMessageSize, maxLongPollSeconds, maxTransactions);
  }

  public ReceiverSettings withMaxMessageSize(long max) {
    return new ReceiverSettings(dir, baseUri, ttl, max, maxLongPollSeconds, maxTransactions);
  }
}
