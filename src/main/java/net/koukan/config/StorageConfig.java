package net.koukan.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code storage}.
 *
 * @param url JDBC URL ({@code jdbc:sqlite:...} or {@code jdbc:postgresql://...})
 * @param gcInterval garbage-collection period; null disables GC
 * @param gcTtl finished or abandoned transactions idle longer than this are deleted
 * @param sessionRefreshInterval liveness refresh of this replica's session (session TTL = 10 x this)
 * @param blobTxRefreshInterval while a blob is appended, bump the owning transaction at most this often
 * @param cacheTtl TTL of the in-process version cache for unleased transactions
 * @param poolSize JDBC connection pool size
 */
public record StorageConfig(
    @Default("jdbc:sqlite:var/koukan.db") String url,
    Duration gcInterval,
    @Default("86400") Duration gcTtl,
    @Default("30") Duration sessionRefreshInterval,
    @Default("10") Duration blobTxRefreshInterval,
    @Default("5") Duration cacheTtl,
    @Default("8") @Min(1) int poolSize) {

  private static final StorageConfig DEFAULTS = ConfigMapper.defaults(StorageConfig.class);

  public StorageConfig {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(gcTtl, "gcTtl");
    Objects.requireNonNull(sessionRefreshInterval, "sessionRefreshInterval");
    Objects.requireNonNull(blobTxRefreshInterval, "blobTxRefreshInterval");
    Objects.requireNonNull(cacheTtl, "cacheTtl");
  }

  public static StorageConfig defaults() {
    return DEFAULTS;
  }
}
