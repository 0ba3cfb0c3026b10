package net.koukan.config;

import java.time.Duration;
import java.util.Objects;

/**
 * One executor: at most {@code max_inflight} tasks at once; a task that does not ping its watchdog for
 * {@code watchdog_timeout} seconds makes the process shut down.
 */
public record ExecutorConfig(
    @Default("1000") @Min(1) int maxInflight,
    @Default("30") Duration watchdogTimeout) {

  private static final ExecutorConfig DEFAULTS = ConfigMapper.defaults(ExecutorConfig.class);

  public ExecutorConfig {
    Objects.requireNonNull(watchdogTimeout, "watchdogTimeout");
  }

  /** {@code max_inflight: 10, watchdog_timeout: 30}. */
  public static ExecutorConfig defaults() {
    return DEFAULTS;
  }
}
