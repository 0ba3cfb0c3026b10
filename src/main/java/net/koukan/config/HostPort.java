package net.koukan.config;

import java.util.Objects;

/** A listening address, written {@code [host, port]} in YAML. */
public record HostPort(String host, int port) {
  public HostPort {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
