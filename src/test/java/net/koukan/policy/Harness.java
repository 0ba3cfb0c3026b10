package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/** Builds policy chains from YAML and feeds them like an attempt does. */
final class Harness {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Lines before the first chain entry in {@link #config}: the first entry is on line 6. */
  static final int CHAIN_FIRST_LINE = 6;

  static RouterConfig config(String chainYaml) {
    StringBuilder b = new StringBuilder("""
        rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
        sender: [{name: s, output_chain: c}]
        endpoint:
        - name: c
          chain:
        """);
    chainYaml.stripIndent().lines().forEach(l -> b.append("    ").append(l).append('\n'));
    return RouterConfig.parse(b.toString(), "r.yaml");
  }

  static List<FilterStanza> stanzas(String chainYaml) {
    return config(chainYaml).endpoint().get(0).chain();
  }

  /** The terminal output: answers everything 250 and remembers the deltas it got. */
  static final class Output implements Filter {
    final List<Delta> seen = new ArrayList<>();

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      seen.add(delta);
      tx.fillUnanswered(delta, new Response(250, "ok"));
    }
  }

  /** Sets a signal when the body arrives (as message_validation, dkim_check would). */
  static Filter signalOnBody(String key, String json) {
    return (tx, delta, next) -> {
      if (delta.body()) {
        tx.filterOutput().set(key, parse(json));
      }
      next.update(tx, delta);
    };
  }

  static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Policy filters from YAML (every stanza must be policy_action) with the given factory. */
  static List<Filter> policies(PolicyActionFilter.Factory f, String chainYaml) {
    List<Filter> out = new ArrayList<>();
    for (FilterStanza s : stanzas(chainYaml)) {
      out.add(f.prepare(s).get());
    }
    return out;
  }

  static PolicyActionFilter.Factory factory() {
    return new PolicyActionFilter.Factory(Map.of(), new Random(1));
  }

  static FilterTx tx(String from) {
    FilterTx tx = new FilterTx("tx1", "s", null);
    tx.mailFrom(Mailbox.of(from));
    return tx;
  }

  static Chain chain(List<Filter> filters, Output out) {
    List<Filter> all = new ArrayList<>(filters);
    all.add(out);
    return new Chain(all);
  }
}
