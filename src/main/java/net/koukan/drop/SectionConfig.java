package net.koukan.drop;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.koukan.drop.swift.SwiftAuth;

/**
 * One destination section, whatever it was read from: the recipients it takes (trimmed,
 * lower-cased) and either a Swift container with its credentials or a local {@code folder}.
 *
 * @param origin where it was configured, for messages ("SWIFTDROP_PROD_*", "drop.yaml: sections.PROD")
 * @param contentType Content-Type of the stored objects (default message/rfc822; text/plain is
 *     SwiftDrop's choice, for proxies that mishandle message/rfc822)
 * @param deleteAfter X-Delete-After of every object, or null
 * @param timeout the longest one Swift request may take
 */
public record SectionConfig(String name, String origin, List<String> recipients, String container,
    SwiftAuth auth, Path folder, String contentType, Duration deleteAfter, Duration timeout) {
  public SectionConfig {
    recipients = List.copyOf(recipients);
  }
}
