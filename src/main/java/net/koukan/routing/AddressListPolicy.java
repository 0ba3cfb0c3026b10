package net.koukan.routing;

import java.util.List;
import java.util.Locale;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * {@code address_list}: recipients whose domain is listed (any domain when none are) and whose
 * local part equals a prefix or starts with prefix + delimiter (any local part when no prefixes)
 * go to the destination; matching without a destination rejects them. Case-insensitive.
 */
public final class AddressListPolicy implements RoutingPolicy {

  /** YAML options. */
  public record Options(String name, List<String> domains, @Default("") String delimiter,
      List<String> prefixes) {}

  private final List<String> domains;
  private final String delimiter;
  private final List<String> prefixes;
  private final Destination destination;

  AddressListPolicy(Options o, Destination destination) {
    this.domains = lower(o.domains());
    this.delimiter = o.delimiter().toLowerCase(Locale.ROOT);
    this.prefixes = lower(o.prefixes());
    this.destination = destination;
  }

  private static List<String> lower(List<String> l) {
    return l == null ? List.of() : l.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  /** {@code policy: {name: address_list, ...}}. */
  public static final class Factory implements RoutingPolicy.Factory {
    @Override
    public String name() {
      return "address_list";
    }

    @Override
    public RoutingPolicy create(FilterStanza policy, Destination destination) {
      return new AddressListPolicy(policy.bind(Options.class), destination);
    }
  }

  public boolean matches(Mailbox rcpt) {
    String a = rcpt.address().toLowerCase(Locale.ROOT);
    int at = a.lastIndexOf('@');
    if (at <= 0 || at == a.length() - 1) {
      return false; // invalid addresses never match
    }
    String local = a.substring(0, at);
    String domain = a.substring(at + 1);
    if (!domains.isEmpty() && !domains.contains(domain)) {
      return false;
    }
    if (prefixes.isEmpty()) {
      return true;
    }
    for (String p : prefixes) {
      if (local.equals(p) || (!delimiter.isEmpty() && local.startsWith(p + delimiter))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public Decision route(Mailbox rcpt) {
    if (!matches(rcpt)) {
      return new NoMatch();
    }
    if (destination == null) {
      return new Reject(new Response(550, "5.1.1 mailbox does not exist (AddressListPolicy)"));
    }
    return new Route(destination, null);
  }
}
