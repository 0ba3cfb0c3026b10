package net.koukan.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code output_handler} of an output chain.
 *
 * @param downstreamTimeout while input is incomplete, abort the attempt if the transaction does not change for
 *     this long
 * @param upstreamRefresh longest wait between chain updates (partial-body updates are rate-limited to it)
 * @param retryParams null: no retries on this chain
 * @param notification null: no DSNs from this chain
 */
public record OutputHandlerConfig(
    @Default("60") Duration downstreamTimeout,
    @Default("30") Duration upstreamRefresh,
    RetryParams retryParams,
    NotificationConfig notification) {

  private static final OutputHandlerConfig DEFAULTS = ConfigMapper.defaults(OutputHandlerConfig.class);

  public OutputHandlerConfig {
    Objects.requireNonNull(downstreamTimeout, "downstreamTimeout");
    Objects.requireNonNull(upstreamRefresh, "upstreamRefresh");
  }

  public static OutputHandlerConfig defaults() {
    return DEFAULTS;
  }
}
