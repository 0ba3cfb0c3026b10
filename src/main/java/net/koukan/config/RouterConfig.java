package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The router's configuration, {@code router.yaml}. Load it with {@link #load}; every problem (YAML syntax,
 * unknown key, wrong type, null or missing value, dangling or contradictory reference) is a
 * {@link ConfigException} naming the file, line, column and key.
 *
 * @param global never null (defaults when absent)
 * @param restListener required
 * @param sender never null
 * @param restEndpoint never null
 * @param endpoint output chains; never null
 * @param modules never null
 * @param storage never null
 * @param logging raw logging stanza; null when absent
 */
public record RouterConfig(
    GlobalConfig global,
    @Required RestListenerConfig restListener,
    List<SenderConfig> sender,
    List<RestEndpointConfig> restEndpoint,
    List<EndpointConfig> endpoint,
    ModulesConfig modules,
    StorageConfig storage,
    JsonNode logging) {

  public RouterConfig {
    global = global == null ? GlobalConfig.defaults() : global;
    Objects.requireNonNull(restListener, "restListener");
    sender = sender == null ? List.of() : List.copyOf(sender);
    restEndpoint = restEndpoint == null ? List.of() : List.copyOf(restEndpoint);
    endpoint = endpoint == null ? List.of() : List.copyOf(endpoint);
    modules = modules == null ? ModulesConfig.defaults() : modules;
    storage = storage == null ? StorageConfig.defaults() : storage;
    logging = logging == null || logging.isNull() ? null : logging;
  }

  /** Reads, binds and checks {@code file}. Messages name the file as {@code file.toString()}. */
  public static RouterConfig load(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), 1, 1, "(root)", "cannot read file: " + e, e);
    }
    return parse(yaml, file.toString());
  }

  /** Binds and checks YAML text; {@code fileNameForMessages} is used in error messages only. */
  public static RouterConfig parse(String yaml, String fileNameForMessages) {
    YamlTree.Parsed parsed = YamlTree.parse(yaml, fileNameForMessages);
    JsonNode root = parsed.root() == null || parsed.root().isNull()
        ? JsonNodeFactory.instance.objectNode() : parsed.root();
    RouterConfig config = ConfigMapper.bind(root, parsed.map(), KeyPath.ROOT, RouterConfig.class);
    new RouterConfigValidator(config, parsed.map()).validate();
    return config;
  }

  /**
   * The effective configuration of a sender for a request naming {@code tagOrNull}: the sender's keys overlaid
   * by the tag's. Empty if there is no such sender, or if the sender lists tags and none is called
   * {@code tagOrNull}. A request without a tag gets the sender's own keys. A sender that lists no tags accepts
   * any tag with its own keys (reference §1.4: an unlisted tag is unknown only "when the sender has tags").
   */
  public Optional<EffectiveSender> sender(String name, String tagOrNull) {
    Optional<SenderConfig> found = findSender(name);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    SenderConfig s = found.get();
    TagConfig t = null;
    if (tagOrNull != null && !s.tag().isEmpty()) {
      t = s.findTag(tagOrNull).orElse(null);
      if (t == null) {
        return Optional.empty();
      }
    }
    String outputChain = s.outputChain();
    Toggle retry = s.retry();
    Toggle notification = s.notification();
    String upstreamSender = s.upstreamSender();
    String upstreamTag = s.upstreamTag();
    JsonNode remoteHost = s.remoteHost();
    JsonNode smtpMeta = s.smtpMeta();
    if (t != null) {
      outputChain = t.outputChain() != null ? t.outputChain() : outputChain;
      retry = t.retry() != null ? t.retry() : retry;
      notification = t.notification() != null ? t.notification() : notification;
      upstreamSender = t.upstreamSender() != null ? t.upstreamSender() : upstreamSender;
      upstreamTag = t.upstreamTag() != null ? t.upstreamTag() : upstreamTag;
      remoteHost = t.remoteHost() != null ? t.remoteHost() : remoteHost;
      smtpMeta = t.smtpMeta() != null ? t.smtpMeta() : smtpMeta;
    }
    return Optional.of(new EffectiveSender(
        s.name(),
        tagOrNull,
        outputChain,
        retry.enabled(),
        notification.enabled(),
        upstreamSender != null ? upstreamSender : s.name(),
        upstreamTag != null ? upstreamTag : tagOrNull,
        remoteHost == null || remoteHost.isNull() ? null : remoteHost,
        smtpMeta == null || smtpMeta.isNull() ? null : smtpMeta));
  }

  public Optional<SenderConfig> findSender(String name) {
    return sender.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  /** The output chain called {@code name}. */
  public Optional<EndpointConfig> findEndpoint(String name) {
    return endpoint.stream().filter(e -> e.name().equals(name)).findFirst();
  }

  public Optional<RestEndpointConfig> findRestEndpoint(String name) {
    return restEndpoint.stream().filter(e -> e.name().equals(name)).findFirst();
  }
}
