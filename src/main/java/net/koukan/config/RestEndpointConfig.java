package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One {@code rest_endpoint}: a named HTTP destination that recipient routing can send to.
 *
 * @param endpoint URL of the remote {@code /senders/<x>/transactions}
 * @param sender sender name put in the JSON (must match the URL path)
 * @param tag sender tag put in the JSON; null for none
 * @param options mapping ({@code receive_parsing}, {@code send_filter_output}); null when absent
 */
public record RestEndpointConfig(
    @Required String name,
    @Required String endpoint,
    @Required String sender,
    String tag,
    JsonNode options) {

  public RestEndpointConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(sender, "sender");
  }
}
