package net.koukan.drop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.koukan.config.ConfigException;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;

/**
 * drop.yaml for {@code ./koukan drop serve --config drop.yaml}, and the {@code defaults} +
 * {@code sections} keys it shares with the {@code swift} filter stanza:
 *
 * <pre>
 * hostname: drop.example.com
 * listen: 0.0.0.0:25
 * max_message_size: 52428800   # SIZE, advertised and enforced
 * store_timeout: 60            # seconds for all destinations of one message, retries included
 * defer_unavailable: false     # true: a section failing the start-up check gets 451 instead of refusing to start
 * forward_relay: 127.0.0.1:2525
 * forwards: {postmaster@example.com: hostmaster@example.net}
 * defaults:                    # merged under every section (a section's own keys win)
 *   auth_version: 1
 *   auth_url: https://swift.example.com/auth/v1.0
 *   user: "account:user"
 *   key: secret
 * sections:
 *   ACCEPTANCE: {recipients: [whatever@example.com], container: acceptance}
 *   PRODUCTION: {recipients: [swiftdrop@example.com], container: production}
 * </pre>
 */
public final class DropYaml {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** The top-level keys other than defaults and sections. */
  public record FileOptions(@Default("localhost") String hostname, @Default("0.0.0.0:25") String listen,
      @Default("52428800") long maxMessageSize, @Default("60") Duration storeTimeout,
      @Default("false") boolean deferUnavailable, @Default("false") boolean proxyProtocol,
      String forwardRelay, Map<String, String> forwards) {}

  private DropYaml() {}

  public static DropConfig load(Path file, String listenOverride) {
    String name = file.toString();
    JsonNode root;
    try {
      root = YAML.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ConfigException(name, 1, 1, "(root)", "cannot read: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ConfigException(name, 1, 1, "(root)", "must be a mapping");
    }
    ObjectNode top = ((ObjectNode) root).deepCopy();
    top.remove("defaults");
    top.remove("sections");
    FileOptions o = new FilterStanza("drop", top, name, 1).bind(FileOptions.class);
    FilterStanza whole = new FilterStanza("drop", (ObjectNode) root, name, 1);
    List<SectionConfig> sections = sections(whole);
    String listen = listenOverride != null ? listenOverride : o.listen();
    int c = listen.lastIndexOf(':');
    int port;
    try {
      port = Integer.parseInt(listen.substring(c + 1));
    } catch (RuntimeException e) {
      throw whole.error("listen", "'" + listen + "' is not host:port");
    }
    if (c <= 0 || port < 0 || port > 65535) {
      throw whole.error("listen", "'" + listen + "' is not host:port");
    }
    if (o.maxMessageSize() < 1) {
      throw whole.error("max_message_size", "must be positive");
    }
    Map<String, String> forwards = new java.util.LinkedHashMap<>();
    if (o.forwards() != null) {
      o.forwards().forEach((k, v) -> forwards.put(DropConfig.normalize(k), v.trim()));
    }
    DropConfig cfg = new DropConfig(o.hostname(), listen.substring(0, c).replace("[", "").replace("]", ""), port,
        o.maxMessageSize(), o.storeTimeout(), o.deferUnavailable(), o.proxyProtocol(), sections, forwards,
        o.forwardRelay());
    cfg.routes(); // section origins already name the file
    return cfg;
  }

  /** The {@code sections} of a stanza, each with {@code defaults} merged under it, in order. */
  public static List<SectionConfig> sections(FilterStanza stanza) {
    JsonNode defaults = stanza.options().get("defaults");
    if (defaults != null && !defaults.isObject()) {
      throw stanza.error("defaults", "must be a mapping");
    }
    JsonNode secs = stanza.options().get("sections");
    if (secs == null || !secs.isObject() || secs.isEmpty()) {
      throw stanza.error("sections", "must be a mapping of section name to options, with at least one section");
    }
    List<SectionConfig> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = secs.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isObject()) {
        throw stanza.error("sections", "section " + e.getKey() + " must be a mapping");
      }
      ObjectNode merged = defaults == null ? ((ObjectNode) e.getValue()).deepCopy() : ((ObjectNode) defaults).deepCopy();
      if (defaults != null) {
        merged.remove("recipients");
        merged.setAll((ObjectNode) e.getValue());
      }
      FilterStanza s;
      try {
        s = stanza.sub("sections", "sections").sub(e.getKey(), "sections." + e.getKey());
      } catch (ConfigException ex) {
        s = new FilterStanza("sections." + e.getKey(), merged, stanza.file(), stanza.line());
      }
      FilterStanza bound = new FilterStanza(s.filter(), merged, s.file(), s.line(), s.origin());
      SectionOptions so = bound.bind(SectionOptions.class);
      out.add(so.toConfig(e.getKey(), bound));
    }
    return out;
  }
}
