package net.koukan.config;

/**
 * {@code global}.
 *
 * @param dequeue run the background dequeue loop (retries, recovery, owed DSNs)
 * @param executor thread limits
 * @param mailerDaemonMailbox From address of DSNs, e.g. {@code mailer-daemon@example.com}; null if not set
 * @param restIdEntropy bytes of randomness in transaction ids
 */
public record GlobalConfig(
    @Default("true") boolean dequeue,
    ExecutorsConfig executor,
    String mailerDaemonMailbox,
    @Default("16") @Min(4) int restIdEntropy) {

  private static final GlobalConfig DEFAULTS = ConfigMapper.defaults(GlobalConfig.class);

  public GlobalConfig {
    executor = executor == null ? ExecutorsConfig.defaults() : executor;
  }

  public static GlobalConfig defaults() {
    return DEFAULTS;
  }
}
