package net.koukan.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.RestEndpointConfig;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Response;

/**
 * {@code filter: router}: routes each recipient no earlier router decided. A policy's destination
 * sets where the outputs send the transaction ({@code rest_endpoint} URL, upstream sender/tag,
 * options, hosts); a rejection answers the recipient; no match leaves it to the next router.
 * Without a policy every recipient goes to {@code destination}, or is rejected when there is
 * none: the catch-all at the end of a chain. {@code dry_run} checks without routing.
 */
public final class RecipientRouterFilter implements Filter {

  /** YAML options. */
  public record Options(JsonNode policy, Destination destination, @Default("false") boolean dryRun) {}

  /** A destination resolved against the configuration at start-up. */
  record Resolved(String url, String sender, String tag, ObjectNode options, List<HostPort> hosts) {}

  private final RoutingPolicy policy;
  private final Resolved destination;
  private final boolean dryRun;
  private final Map<Destination, Resolved> resolved;

  RecipientRouterFilter(RoutingPolicy policy, Resolved destination, boolean dryRun,
      Map<Destination, Resolved> resolved) {
    this.policy = policy;
    this.destination = destination;
    this.dryRun = dryRun;
    this.resolved = resolved;
  }

  /** {@code filter: router}. */
  public static final class Factory implements FilterFactory {
    private final RouterConfig config;
    private final Map<String, RoutingPolicy.Factory> policies = new LinkedHashMap<>();

    public Factory(RouterConfig config, List<RoutingPolicy.Factory> policyFactories) {
      this.config = config;
      for (RoutingPolicy.Factory f : policyFactories) {
        policies.put(f.name(), f);
      }
    }

    @Override
    public String name() {
      return "router";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      FilterStanza policyStanza = null;
      if (o.policy() != null && o.policy().isObject() && o.policy().has("destination")) {
        // the reference puts destination inside policy: accept it there too
        if (o.destination() != null) {
          throw stanza.error("destination", "give destination either beside or inside policy, not both");
        }
        FilterStanza p = stanza.sub("policy", "policy");
        Destination inner = p.sub("destination", "destination").bind(Destination.class);
        com.fasterxml.jackson.databind.node.ObjectNode rest = p.options().deepCopy();
        rest.remove("destination");
        policyStanza = new FilterStanza(p.filter(), rest, p.file(), p.line(), p.origin());
        o = new Options(rest, inner, o.dryRun());
      }
      Map<Destination, Resolved> resolvedMap = new LinkedHashMap<>();
      Resolved dest = o.destination() == null ? null : resolve(stanza, o.destination());
      if (dest != null) {
        resolvedMap.put(o.destination(), dest);
      }
      RoutingPolicy policy = null;
      if (o.policy() != null) {
        if (!o.policy().isObject() || !o.policy().has("name") || !o.policy().get("name").isTextual()) {
          throw stanza.error("policy", "must be a mapping with a name");
        }
        String name = o.policy().get("name").asText();
        RoutingPolicy.Factory pf = policies.get(name);
        if (pf == null) {
          throw stanza.error("policy", "unknown policy " + name + " (known: "
              + new TreeSet<>(policies.keySet()) + ")");
        }
        policy = pf.create(policyStanza != null
            ? new FilterStanza(name, policyStanza.options(), policyStanza.file(), policyStanza.line(),
                policyStanza.origin())
            : stanza.sub("policy", name), o.destination());
      }
      RoutingPolicy p = policy;
      boolean dry = o.dryRun();
      Map<Destination, Resolved> frozen = Map.copyOf(resolvedMap);
      return () -> new RecipientRouterFilter(p, dest, dry, frozen);
    }

    private Resolved resolve(FilterStanza stanza, Destination d) {
      if (d.endpoint() == null || d.endpoint().isEmpty()) {
        return new Resolved(null, null, null, d.options(), hosts(d));
      }
      RestEndpointConfig e = config.findRestEndpoint(d.endpoint()).orElseThrow(() ->
          stanza.error("destination", "unknown rest_endpoint " + d.endpoint()));
      ObjectNode opts = JsonNodeFactory.instance.objectNode();
      if (e.options() != null && e.options().isObject()) {
        opts.setAll((ObjectNode) e.options());
      }
      if (d.options() != null) {
        opts.setAll(d.options());
      }
      return new Resolved(e.endpoint(), e.sender(), e.tag(), opts, hosts(d));
    }

    private static List<HostPort> hosts(Destination d) {
      if (d.hostList() == null) {
        return null;
      }
      return d.hostList().stream().map(h -> new HostPort(h.host(), h.port())).toList();
    }
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    for (int i : delta.rcpts()) {
      if (tx.routed(i) || tx.rcptResponse(i) != null) {
        continue;
      }
      RoutingPolicy.Decision d = policy == null
          ? (destination != null ? new RoutingPolicy.Route(null, null)
              : new RoutingPolicy.Reject(new Response(550,
                  "5.1.1 mailbox does not exist (RecipientRouterFilter null policy)")))
          : policy.route(tx.rcptTo().get(i));
      switch (d) {
        case RoutingPolicy.NoMatch n -> { }
        case RoutingPolicy.Reject r -> tx.rcptResponse(i, r.response());
        case RoutingPolicy.Route r -> {
          Resolved dest = r.destination() == null ? destination : resolved.getOrDefault(r.destination(), destination);
          List<HostPort> hosts = r.hosts() != null ? r.hosts() : dest == null ? null : dest.hosts();
          if (!dryRun && dest != null && !apply(tx, dest, hosts)) {
            tx.rcptResponse(i, new Response(451,
                "4.5.3 recipient has another destination than the earlier ones; send it separately"));
          }
          tx.markRouted(i);
        }
      }
    }
    next.update(tx, delta);
  }

  /** Sets the routing fields, or returns false if they are already set to something else. */
  private static boolean apply(FilterTx tx, Resolved dest, List<HostPort> hosts) {
    if (tx.restEndpoint() != null || tx.resolution() != null) {
      return Objects.equals(tx.restEndpoint(), dest.url()) && Objects.equals(tx.resolution(), hosts);
    }
    tx.restEndpoint(dest.url());
    tx.upstream(dest.sender(), dest.tag());
    tx.options(dest.options());
    tx.resolution(hosts);
    return true;
  }
}
