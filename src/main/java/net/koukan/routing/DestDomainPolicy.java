package net.koukan.routing;

import java.util.List;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * {@code dest_domain}: every recipient goes to the destination with the recipient's domain as
 * the host to resolve ({@code dns_resolution} turns it into MX hosts later).
 */
public final class DestDomainPolicy implements RoutingPolicy {

  /** YAML options. */
  public record Options(String name, @Default("25") int destPort) {}

  private final int port;
  private final Destination destination;

  DestDomainPolicy(Options o, Destination destination) {
    this.port = o.destPort();
    this.destination = destination;
  }

  /** {@code policy: {name: dest_domain, dest_port: 25}}. */
  public static final class Factory implements RoutingPolicy.Factory {
    @Override
    public String name() {
      return "dest_domain";
    }

    @Override
    public RoutingPolicy create(FilterStanza policy, Destination destination) {
      if (destination == null) {
        throw policy.error(null, "dest_domain needs a destination");
      }
      Options o = policy.bind(Options.class);
      if (o.destPort() < 1 || o.destPort() > 65535) {
        throw policy.error("dest_port", "must be 1..65535");
      }
      return new DestDomainPolicy(o, destination);
    }
  }

  @Override
  public Decision route(Mailbox rcpt) {
    String domain = rcpt.domain();
    if (domain.isEmpty() || domain.startsWith("[")) {
      return new Reject(new Response(550, "5.1.2 cannot route recipient " + rcpt.address()));
    }
    return new Route(destination, List.of(new HostPort(domain, port)));
  }
}
