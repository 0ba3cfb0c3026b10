package net.koukan.config;

/** {@code global.executor}: threads for HTTP handling ({@code rest}) and for output attempts ({@code output}). */
public record ExecutorsConfig(ExecutorConfig rest, ExecutorConfig output) {
  private static final ExecutorsConfig DEFAULTS = ConfigMapper.defaults(ExecutorsConfig.class);

  public ExecutorsConfig {
    rest = rest == null ? ExecutorConfig.defaults() : rest;
    output = output == null ? ExecutorConfig.defaults() : output;
  }

  public static ExecutorsConfig defaults() {
    return DEFAULTS;
  }
}
