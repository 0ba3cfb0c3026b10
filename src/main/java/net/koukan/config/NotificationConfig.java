package net.koukan.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code output_handler.notification}: the sender (and tag) through which DSNs are injected, and
 * optionally {@code delay_after}: once a message has waited this long, its sender gets one delay
 * notice ("still trying") in addition to the failure report if it finally fails.
 */
public record NotificationConfig(@Required String sender, String tag, Duration delayAfter) {
  public NotificationConfig {
    Objects.requireNonNull(sender, "sender");
  }

  public NotificationConfig(String sender, String tag) {
    this(sender, tag, null);
  }
}
