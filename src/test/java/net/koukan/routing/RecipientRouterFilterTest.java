package net.koukan.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import net.koukan.config.ConfigException;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

class RecipientRouterFilterTest {
  static final String YAML = """
      rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
      rest_endpoint:
      - name: gateway
        endpoint: http://gw:8001/senders/router/transactions
        sender: router
        tag: outbound
        options: {send_filter_output: false}
      - name: receiver
        endpoint: http://app:8002/senders/router/transactions
        sender: router
      sender:
      - name: s
        output_chain: c
      endpoint:
      - name: c
        chain:
        - filter: router
          policy: {name: address_list, domains: [example.com], delimiter: "+", prefixes: [bob]}
          destination:
            endpoint: receiver
            options: {send_filter_output: true}
        - filter: router
          dry_run: true
          policy: {name: address_list, domains: [dry.example]}
          destination: {endpoint: receiver}
        - filter: router
          policy: {name: address_list, domains: [reject.example]}
        - filter: router
          policy: {name: dest_domain, dest_port: 2525}
          destination: {endpoint: gateway, host_list: [{host: 10.0.0.1, port: 25}]}
        - filter: router
      """;

  /** Records what reaches the output. */
  static final class Capture implements Filter {
    final List<FilterTx> seen = new ArrayList<>();

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      seen.add(tx);
      delta.rcpts().forEach(i -> tx.rcptResponse(i, new Response(250, "ok")));
      if (delta.mailFrom()) {
        tx.mailResponse(new Response(250, "ok"));
      }
    }
  }

  Chain chain(String yaml, int routers, Capture out) {
    RouterConfig cfg = RouterConfig.parse(yaml, "r.yaml");
    RecipientRouterFilter.Factory f = new RecipientRouterFilter.Factory(cfg,
        List.of(new AddressListPolicy.Factory(), new DestDomainPolicy.Factory()));
    List<Filter> filters = new ArrayList<>();
    for (int i = 0; i < routers; i++) {
      filters.add(f.prepare(cfg.endpoint().get(0).chain().get(i)).get());
    }
    filters.add(out);
    return new Chain(filters);
  }

  FilterTx route(String rcpt, int routers, Capture out) {
    FilterTx tx = new FilterTx(null, "s", null);
    tx.mailFrom(Mailbox.of("a@x"));
    int i = tx.addRcpt(Mailbox.of(rcpt));
    chain(YAML, routers, out).update(tx, new Delta(true, List.of(i), false));
    return tx;
  }

  @Test
  void addressListRoutesToTheEndpointWithMergedOptions() {
    FilterTx tx = route("Bob+tag@Example.com", 5, new Capture());
    assertThat(tx.restEndpoint()).isEqualTo("http://app:8002/senders/router/transactions");
    assertThat(tx.upstreamSender()).isEqualTo("router");
    assertThat(tx.options().get("send_filter_output").asBoolean()).isTrue();
    assertThat(tx.resolution()).isNull();
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(250, "ok"));
  }

  @Test
  void noMatchFallsThroughToDestDomainWithHosts() {
    FilterTx tx = route("carol@example.com", 5, new Capture()); // not a bob prefix
    assertThat(tx.restEndpoint()).isEqualTo("http://gw:8001/senders/router/transactions");
    assertThat(tx.upstreamTag()).isEqualTo("outbound");
    assertThat(tx.options().get("send_filter_output").asBoolean()).isFalse();
    assertThat(tx.resolution()).containsExactly(new HostPort("example.com", 2525));
  }

  @Test
  void dryRunMarksRoutedWithoutSettingFields() {
    FilterTx tx = route("x@dry.example", 5, new Capture());
    assertThat(tx.restEndpoint()).isNull();
    assertThat(tx.routed(0)).isTrue();
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250); // passed on, not rejected by the catch-all
  }

  @Test
  void matchWithoutDestinationRejects() {
    Capture out = new Capture();
    FilterTx tx = route("x@reject.example", 5, out);
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(550, "5.1.1 mailbox does not exist (AddressListPolicy)"));
  }

  @Test
  void catchAllRejectsWhatNobodyRouted() {
    RouterConfig cfg = RouterConfig.parse(YAML, "r.yaml");
    RecipientRouterFilter.Factory f = new RecipientRouterFilter.Factory(cfg,
        List.of(new AddressListPolicy.Factory(), new DestDomainPolicy.Factory()));
    List<Filter> filters = new ArrayList<>();
    for (int i : new int[] {0, 1, 2, 4}) { // without the dest_domain router
      filters.add(f.prepare(cfg.endpoint().get(0).chain().get(i)).get());
    }
    Capture out = new Capture();
    filters.add(out);
    FilterTx tx = new FilterTx(null, "s", null);
    tx.mailFrom(Mailbox.of("a@x"));
    tx.addRcpt(Mailbox.of("nobody@nowhere.test"));
    new Chain(filters).update(tx, new Delta(true, List.of(0), false));
    assertThat(tx.rcptResponse(0)).isEqualTo(
        new Response(550, "5.1.1 mailbox does not exist (RecipientRouterFilter null policy)"));
  }

  @Test
  void aSecondRecipientWithAnotherDestinationIsDeferred() {
    Capture out = new Capture();
    Chain c = chain(YAML, 5, out);
    FilterTx tx = new FilterTx(null, "s", null);
    tx.mailFrom(Mailbox.of("a@x"));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    c.update(tx, new Delta(true, List.of(0), false));
    int i = tx.addRcpt(Mailbox.of("carol@other.test"));
    c.update(tx, new Delta(false, List.of(i), false));
    assertThat(tx.rcptResponse(1).code()).isEqualTo(451);
    int j = tx.addRcpt(Mailbox.of("bob+2@example.com"));
    c.update(tx, new Delta(false, List.of(j), false));
    assertThat(tx.rcptResponse(2).code()).isEqualTo(250);
  }

  @Test
  void configErrorsNameTheLine() {
    String bad = YAML.replace("policy: {name: dest_domain, dest_port: 2525}", "policy: {name: dest_domain, dest_prt: 2525}");
    RouterConfig cfg = RouterConfig.parse(bad, "r.yaml");
    RecipientRouterFilter.Factory f = new RecipientRouterFilter.Factory(cfg,
        List.of(new AddressListPolicy.Factory(), new DestDomainPolicy.Factory()));
    assertThatThrownBy(() -> f.prepare(cfg.endpoint().get(0).chain().get(3)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("r.yaml:29:").hasMessageContaining("dest_prt");
    String unknownEndpoint = YAML.replaceFirst("endpoint: receiver", "endpoint: nope");
    RouterConfig cfg2 = RouterConfig.parse(unknownEndpoint, "r.yaml");
    RecipientRouterFilter.Factory f2 = new RecipientRouterFilter.Factory(cfg2, List.of(new AddressListPolicy.Factory()));
    assertThatThrownBy(() -> f2.prepare(cfg2.endpoint().get(0).chain().get(0)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown rest_endpoint nope");
    String unknownPolicy = YAML.replace("name: dest_domain", "name: nopolicy");
    RouterConfig cfg3 = RouterConfig.parse(unknownPolicy, "r.yaml");
    assertThatThrownBy(() -> f.prepare(cfg3.endpoint().get(0).chain().get(3)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("unknown policy nopolicy");
  }

  @Test
  void destinationInsidePolicyAsTheReferenceWritesIt() {
    String yaml = YAML.replace(
        "    policy: {name: address_list, domains: [example.com], delimiter: \"+\", prefixes: [bob]}\n"
            + "    destination:\n      endpoint: receiver\n      options: {send_filter_output: true}\n",
        "    policy:\n      name: address_list\n      domains: [example.com]\n      delimiter: \"+\"\n"
            + "      prefixes: [bob]\n      destination: {endpoint: receiver, options: {send_filter_output: true}}\n");
    assertThat(yaml).isNotEqualTo(YAML);
    RouterConfig cfg = RouterConfig.parse(yaml, "r.yaml");
    RecipientRouterFilter.Factory f = new RecipientRouterFilter.Factory(cfg,
        List.of(new AddressListPolicy.Factory(), new DestDomainPolicy.Factory()));
    FilterTx tx = new FilterTx(null, "s", null);
    tx.mailFrom(Mailbox.of("a@x"));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    new Chain(List.of(f.prepare(cfg.endpoint().get(0).chain().get(0)).get(), new Capture()))
        .update(tx, new Delta(true, List.of(0), false));
    assertThat(tx.restEndpoint()).isEqualTo("http://app:8002/senders/router/transactions");
    assertThat(tx.options().get("send_filter_output").asBoolean()).isTrue();
  }
}
