package net.koukan.storage;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/** Transaction ids: URL-safe base64 (no padding) of {@code entropy} random bytes, as the reference. */
public final class RestIds implements Supplier<String> {
  private final SecureRandom random = new SecureRandom();
  private final int entropy;

  public RestIds(int entropy) {
    if (entropy < 4) {
      throw new IllegalArgumentException("rest id entropy must be at least 4 bytes");
    }
    this.entropy = entropy;
  }

  @Override
  public String get() {
    byte[] b = new byte[entropy];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
