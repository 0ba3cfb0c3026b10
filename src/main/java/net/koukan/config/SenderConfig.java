package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code sender}: a principal, addressed as {@code /senders/<name>/transactions}.
 *
 * @param name sender name
 * @param outputChain name of the {@code endpoint} that handles its transactions
 * @param retry {@code retry: output_chain} enables retries (parameters from the chain); never null here
 * @param notification {@code notification: output_chain} enables DSNs (requires retry); never null here
 * @param upstreamSender for an exploder chain: sender of the per-recipient upstream transactions (null = same)
 * @param upstreamTag for an exploder chain: tag of the upstream transactions (null = same tag)
 * @param remoteHost IP injected as remote_host when this sender is the target of a router-to-router hop
 * @param smtpMeta mapping injected as smtp_meta in that case
 * @param tag per-tag overrides
 */
public record SenderConfig(
    @Required String name,
    @Required String outputChain,
    Toggle retry,
    Toggle notification,
    String upstreamSender,
    String upstreamTag,
    JsonNode remoteHost,
    JsonNode smtpMeta,
    List<TagConfig> tag) {

  public SenderConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(outputChain, "outputChain");
    retry = retry == null ? Toggle.DISABLED : retry;
    notification = notification == null ? Toggle.DISABLED : notification;
    tag = tag == null ? List.of() : List.copyOf(tag);
  }

  public boolean retryEnabled() {
    return retry.enabled();
  }

  public boolean notificationEnabled() {
    return notification.enabled();
  }

  /** The tag entry called {@code tagName}, if listed. */
  public Optional<TagConfig> findTag(String tagName) {
    return tag.stream().filter(t -> t.name().equals(tagName)).findFirst();
  }
}
