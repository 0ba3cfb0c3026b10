package net.koukan.policy;

import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.Cidr;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;

/**
 * {@code filter: relay_auth}: the reference's older submission guard (its newer configs write
 * {@code policy_action} with the {@code smtp_auth} matcher instead). Mail that came over SMTP
 * goes on only if the session authenticated ({@code smtp_meta.auth}) or the client is in
 * {@code exempt_networks}; anything else gets {@code 550 5.7.1 relaying denied} at MAIL, and
 * every later request the same. Transactions that did not come over SMTP (REST) pass: the REST
 * API is guarded by its own listener.
 */
public final class RelayAuthFilter implements Filter {

  /** YAML options. */
  public record Options(List<String> exemptNetworks) {}

  /** {@code filter: relay_auth}. */
  public static final class Factory implements FilterFactory {
    @Override
    public String name() {
      return "relay_auth";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      List<Cidr> exempt;
      try {
        exempt = o.exemptNetworks() == null ? List.of() : o.exemptNetworks().stream().map(Cidr::parse).toList();
      } catch (IllegalArgumentException e) {
        throw stanza.error("exempt_networks", e.getMessage());
      }
      return () -> new RelayAuthFilter(exempt);
    }
  }

  static final Response DENIED = new Response(550, "5.7.1 relaying denied: authentication required");
  private final List<Cidr> exempt;
  private boolean denied;

  RelayAuthFilter(List<Cidr> exempt) {
    this.exempt = exempt;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom() && tx.smtpMeta() != null && !tx.smtpMeta().path("auth").asBoolean(false)
        && !exempt(tx)) {
      denied = true;
    }
    if (denied) {
      tx.fillUnanswered(delta, DENIED);
      return;
    }
    next.update(tx, delta);
  }

  private boolean exempt(FilterTx tx) {
    if (tx.remoteHost() == null || !Cidr.valid(tx.remoteHost().host())) {
      return false;
    }
    try {
      java.net.InetAddress ip = java.net.InetAddress.getByName(tx.remoteHost().host()); // a literal
      return exempt.stream().anyMatch(c -> c.contains(ip));
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
