package net.koukan.routing;

import java.util.List;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/** Decides where a recipient goes. Plugins implement {@link Factory} (ServiceLoader). */
public interface RoutingPolicy {

  /** The outcome for one recipient. */
  sealed interface Decision {}

  /** Route to {@code destination}; {@code hosts} (may be null) override its host list. */
  record Route(Destination destination, List<HostPort> hosts) implements Decision {}

  record Reject(Response response) implements Decision {}

  /** Not this policy's recipient: leave it to the next router in the chain. */
  record NoMatch() implements Decision {}

  Decision route(Mailbox rcpt);

  /**
   * Makes a policy from its YAML ({@code policy: {name: x, ...}}); {@code destination} is the
   * router stanza's destination (may be null). Plugins list implementations in
   * {@code META-INF/services/net.koukan.routing.RoutingPolicy$Factory}.
   */
  interface Factory {
    String name();

    RoutingPolicy create(net.koukan.config.FilterStanza policy, Destination destination);
  }
}
