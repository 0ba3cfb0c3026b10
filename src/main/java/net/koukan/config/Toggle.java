package net.koukan.config;

/**
 * Value of a sender's (or tag's) {@code retry} / {@code notification} key. YAML {@code output_chain} (the
 * reference's spelling: parameters come from the output chain's {@code output_handler}) or {@code {}} means
 * {@link #ENABLED}; {@code null} means {@link #DISABLED}. On a tag, an absent key is a Java {@code null}: the tag
 * inherits the sender's value.
 */
public enum Toggle {
  ENABLED,
  DISABLED;

  /** The YAML string that enables retry/notification. */
  public static final String OUTPUT_CHAIN = "output_chain";

  public boolean enabled() {
    return this == ENABLED;
  }
}
