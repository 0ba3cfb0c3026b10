package net.koukan.tx;

import java.util.Objects;

/** A host (name or IP literal) and port; on the wire a JSON array {@code ["1.2.3.4", 25]}. */
public record HostPort(String host, int port) {
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
