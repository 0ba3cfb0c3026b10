package net.koukan.delivery;

import net.koukan.config.RetryParams;

/**
 * When to try again after a temporary failure (spec §4.6): the wait grows with the age of the
 * transaction ({@code age × backoff_factor}, clamped to [min, max]); past {@code max_attempts} or
 * {@code deadline} the transaction is final.
 */
public final class RetryPolicy {
  public static final String MAX_ATTEMPTS = "retry policy max attempts";
  public static final String DEADLINE = "retry policy deadline";

  /** Either a time for the next attempt or a final reason. */
  public record Decision(Long nextAttemptTime, String finalReason) {}

  private RetryPolicy() {}

  /**
   * {@code params} null or {@code retry} false: a single attempt, so a temporary failure is final
   * ({@value #MAX_ATTEMPTS}: the one attempt allowed has been made).
   */
  public static Decision decide(RetryParams params, boolean retry, int attempts, long creation,
      long now) {
    if (params == null || !retry || attempts >= params.maxAttempts()) {
      return new Decision(null, MAX_ATTEMPTS);
    }
    long min = params.minAttemptTime().toMillis();
    long max = params.maxAttemptTime().toMillis();
    long dt = (long) ((now - creation) * params.backoffFactor());
    dt = Math.max(min, Math.min(max, dt));
    long next = now + dt;
    if (next - creation > params.deadline().toMillis()) {
      return new Decision(null, DEADLINE);
    }
    return new Decision(next, null);
  }
}
