package net.koukan.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code output_handler.retry_params}: after attempt n ends at {@code now}, the next attempt is at
 * {@code now + clamp((now - creation) * backoff_factor, min_attempt_time, max_attempt_time)}, unless
 * {@code max_attempts} is reached or that is past {@code deadline} after creation. {@code bug_retry} is the delay
 * after an attempt that crashed.
 */
public record RetryParams(
    @Default("30") @Min(1) int maxAttempts,
    @Default("60") Duration minAttemptTime,
    @Default("3600") Duration maxAttemptTime,
    @Default("1.5") double backoffFactor,
    @Default("86400") Duration deadline,
    @Default("3600") Duration bugRetry) {

  public RetryParams {
    Objects.requireNonNull(minAttemptTime, "minAttemptTime");
    Objects.requireNonNull(maxAttemptTime, "maxAttemptTime");
    Objects.requireNonNull(deadline, "deadline");
    Objects.requireNonNull(bugRetry, "bugRetry");
  }
}
