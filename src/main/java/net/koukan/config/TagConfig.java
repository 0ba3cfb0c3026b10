package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One entry of a sender's {@code tag} list. Every key but {@code name} overrides the sender's key of the same
 * name; a Java {@code null} means "not set here, inherit". For {@code retry}/{@code notification} an explicit YAML
 * {@code null} is {@link Toggle#DISABLED} (it turns off what the sender enables); for {@code remote_host} /
 * {@code smtp_meta} an explicit YAML null is a {@code NullNode} (it clears the sender's value).
 */
public record TagConfig(
    @Required String name,
    String outputChain,
    Toggle retry,
    Toggle notification,
    String upstreamSender,
    String upstreamTag,
    JsonNode remoteHost,
    JsonNode smtpMeta) {

  public TagConfig {
    Objects.requireNonNull(name, "name");
  }
}
