package net.koukan.routing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import net.koukan.config.Required;

/**
 * Where routed recipients go: the name of a {@code rest_endpoint} (or empty, a placeholder for
 * dry runs), an optional host list, and options overlaid on the endpoint's.
 */
public record Destination(String endpoint, List<HostEntry> hostList, ObjectNode options) {

  /** {@code {host, port}} in YAML. */
  public record HostEntry(@Required String host, @Required Integer port) {}
}
