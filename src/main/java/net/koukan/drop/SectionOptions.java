package net.koukan.drop;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.drop.swift.SwiftAuth;

/**
 * One section in YAML (a {@code sections} entry of drop.yaml or of the {@code swift} filter),
 * after the {@code defaults} mapping was merged under it. Swift: {@code container} with
 * {@code auth_version} 1 ({@code auth_url}, {@code user} "account:user", {@code key}) or 3
 * (Keystone: {@code auth_url}, {@code user}, {@code key} = password, {@code user_domain_name},
 * {@code project_name}/{@code project_id}, {@code project_domain_name}, {@code region_name},
 * {@code endpoint_interface}, default public); {@code object_storage_url} overrides the storage URL. Or a local
 * {@code folder} instead of a container.
 */
public record SectionOptions(List<String> recipients, String container, String folder,
    @Default("1") int authVersion, String authUrl, String user, String key, String userDomainName,
    String projectName, String projectDomainName, String projectId, String regionName, String endpointInterface,
    String objectStorageUrl, @Default("message/rfc822") String contentType, Duration deleteAfter,
    @Default("30") Duration timeout) {

  /** Checks and converts; problems name the stanza's file and key. */
  SectionConfig toConfig(String name, FilterStanza stanza) {
    String origin = stanza.file() + ": sections." + name;
    List<String> rcpts = new ArrayList<>();
    if (recipients == null || recipients.isEmpty()) {
      throw stanza.error("recipients", "section " + name + " must list at least one recipient");
    }
    for (String r : recipients) {
      String n = DropConfig.normalize(r);
      if (!n.contains("@") || n.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>')) {
        throw stanza.error("recipients", "'" + r + "' is not an address");
      }
      rcpts.add(n);
    }
    if (folder != null) {
      if (container != null) {
        throw stanza.error("folder", "a section has a container or a folder, not both");
      }
      return new SectionConfig(name, origin, rcpts, null, null, Path.of(folder), contentType, deleteAfter, timeout);
    }
    for (String[] req : new String[][] {{"container", container}, {"auth_url", authUrl}, {"user", user},
        {"key", key}}) {
      if (req[1] == null || req[1].isBlank()) {
        throw stanza.error(req[0], "must be set for a Swift section (or give a folder)");
      }
    }
    if (container.contains("/")) {
      throw stanza.error("container", "a container name cannot contain '/'");
    }
    URI auth = uri(stanza, "auth_url", authUrl);
    URI storage = objectStorageUrl == null ? null : uri(stanza, "object_storage_url", objectStorageUrl);
    SwiftAuth a = switch (authVersion) {
      case 1 -> new SwiftAuth.V1(auth, user, key, storage);
      case 3 -> new SwiftAuth.KeystoneV3(auth, user, userDomainName, key, projectName, projectId,
          projectDomainName, regionName, endpointInterface, storage);
      default -> throw stanza.error("auth_version", authVersion + " is not supported (1 or 3)");
    };
    return new SectionConfig(name, origin, rcpts, container, a, null, contentType, deleteAfter, timeout);
  }

  private static URI uri(FilterStanza stanza, String key, String v) {
    try {
      URI u = URI.create(v);
      if (u.getScheme() == null || !u.getScheme().startsWith("http") || u.getHost() == null) {
        throw stanza.error(key, "'" + v + "' is not an http(s) URL");
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw stanza.error(key, "'" + v + "' is not a URL");
    }
  }
}
