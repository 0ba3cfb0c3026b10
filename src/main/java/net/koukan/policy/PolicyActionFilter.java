package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Required;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: policy_action} (spec §5.4): one rule. If its {@code match} expression matches
 * (no expression: always), it applies its {@code action}:
 * <ul>
 * <li>{@code REJECT}: answers the requests of this update that have no answer yet with
 *     {@code code}/{@code message} (in {@code mode: PER_RCPT}, only that recipient); a
 *     whole-transaction rejection also answers every later request of the transaction;
 * <li>{@code MATCH} (default): records the rule and its tag;
 * <li>{@code LOG}: logs, records the rule only;
 * <li>{@code [[weight, ACTION], ...]}: one of them at random, in proportion to the weights.
 * </ul>
 * Recorded rules and tags ({@code policy_action: {matched_tags, matched_rules}} in the filter
 * output; recording twice is harmless) retire later whole-transaction rules with the same name
 * or tag, so a tag is a group whose first matching rule wins. {@code PER_RCPT} rules run for
 * each new recipient whatever was recorded before. When a matcher lacks a fact it needs
 * (PRECONDITION_UNMET, e.g. a body signal at MAIL time), every rule with the same tag does
 * nothing for the rest of that update and is evaluated again in the next one.
 */
public final class PolicyActionFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(PolicyActionFilter.class);

  /** YAML options. */
  public record Options(JsonNode match, @Required String tag, String name, String mode,
      JsonNode action, @Default("550") int code, String message) {}

  enum Action { REJECT, LOG, MATCH }

  record Weighted(double weight, Action action) {}

  /** A rule as checked at start-up. */
  record Rule(String tag, String name, boolean perRcpt, MatchExpression match,
      List<Weighted> actions, Response reject) {}

  /** {@code filter: policy_action}. */
  public static final class Factory implements FilterFactory {
    private final Map<String, TransactionMatcher.Factory> matchers;
    private final Random random;
    private final UpdateScopes scopes = new UpdateScopes();

    /** Built-in matchers only, non-deterministic weighted actions. */
    public Factory() {
      this(Map.of(), new Random());
    }

    /** Built-in matchers and {@code extraMatchers} (plugins), non-deterministic weighted actions. */
    public Factory(Map<String, TransactionMatcher.Factory> extraMatchers) {
      this(extraMatchers, new Random());
    }

    /**
     * @param extraMatchers more matchers by name (e.g. {@link TransactionMatchers#loadPlugins});
     *     a name already taken by a built-in one fails with a {@link net.koukan.config.ConfigException}
     * @param random draws the weighted actions (seed it in tests)
     */
    public Factory(Map<String, TransactionMatcher.Factory> extraMatchers, Random random) {
      this.matchers = TransactionMatchers.registry(extraMatchers);
      this.random = random;
    }

    @Override
    public String name() {
      return "policy_action";
    }

    /** Every matcher name a stanza may use. */
    public Set<String> matcherNames() {
      return matchers.keySet();
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Rule rule = rule(stanza);
      return () -> new PolicyActionFilter(rule, random, scopes);
    }

    Rule rule(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.tag().isBlank()) {
        throw stanza.error("tag", "must not be empty");
      }
      if (o.name() != null && o.name().isBlank()) {
        throw stanza.error("name", "must not be empty (omit it to use the tag)");
      }
      String name = o.name() != null ? o.name() : o.tag();
      boolean perRcpt = false;
      if (o.mode() != null) {
        if (!o.mode().equals("PER_RCPT")) {
          throw stanza.error("mode", "must be PER_RCPT (omit it for a rule about the whole transaction)");
        }
        perRcpt = true;
      }
      MatchExpression match = null;
      if (o.match() != null) {
        if (!o.match().isObject()) {
          throw stanza.error("match", "must be a mapping (a match expression)");
        }
        if (!o.match().isEmpty()) {
          match = MatchExpression.parse(stanza.sub("match", "match"), matchers, perRcpt);
        }
      }
      List<Weighted> actions = actions(stanza, o.action());
      if (o.code() < 400 || o.code() > 599) {
        throw stanza.error("code", "must be a 4xx or 5xx SMTP code, not " + o.code());
      }
      String message = o.message() != null ? o.message() : "5.6.0 message rejected " + name;
      if (message.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw stanza.error("message", "must be one line without control characters");
      }
      return new Rule(o.tag(), name, perRcpt, match, actions, new Response(o.code(), message));
    }

    private static List<Weighted> actions(FilterStanza stanza, JsonNode action) {
      if (action == null) {
        return List.of(new Weighted(1, Action.MATCH));
      }
      if (action.isTextual()) {
        return List.of(new Weighted(1, action(stanza, action.asText())));
      }
      String shape = "must be REJECT, LOG, MATCH or a list of [weight, ACTION] pairs such as"
          + " [[9, LOG], [1, REJECT]]";
      if (!action.isArray() || action.isEmpty()) {
        throw stanza.error("action", shape);
      }
      List<Weighted> out = new ArrayList<>();
      double total = 0;
      for (JsonNode pair : action) {
        if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isNumber() || !pair.get(1).isTextual()) {
          throw stanza.error("action", shape + ", not " + pair);
        }
        double w = pair.get(0).asDouble();
        if (!(w >= 0) || Double.isInfinite(w)) {
          throw stanza.error("action", "weights must be finite and not negative, not " + pair.get(0));
        }
        out.add(new Weighted(w, action(stanza, pair.get(1).asText())));
        total += w;
      }
      if (!(total > 0)) {
        throw stanza.error("action", "the weights add up to 0");
      }
      return List.copyOf(out);
    }

    private static Action action(FilterStanza stanza, String a) {
      try {
        return Action.valueOf(a);
      } catch (IllegalArgumentException e) {
        throw stanza.error("action", "unknown action " + a + " (REJECT, LOG or MATCH)");
      }
    }
  }

  /**
   * What the rules of one transaction share during one update: the tags whose precondition
   * was unmet. An update is recognised by what the transaction holds (MAIL, number of
   * recipients, body): every update adds to it, and filters do not. Held weakly per transaction
   * by the factory, as filters of one chain have no other common state.
   */
  static final class UpdateScopes {
    private final Map<FilterTx, Scope> scopes = Collections.synchronizedMap(new WeakHashMap<>());

    private static final class Scope {
      final String generation;
      final Set<String> unmetTags = new HashSet<>();

      Scope(String generation) {
        this.generation = generation;
      }
    }

    Set<String> unmetTags(FilterTx tx) {
      String generation = (tx.mailFrom() != null ? "m" : "-") + tx.rcptTo().size()
          + (tx.body() != null ? "b" : "-");
      synchronized (scopes) {
        Scope s = scopes.get(tx);
        if (s == null || !s.generation.equals(generation)) {
          s = new Scope(generation);
          scopes.put(tx, s);
        }
        return s.unmetTags;
      }
    }
  }

  private final Rule rule;
  private final Random random;
  private final UpdateScopes scopes;
  private Response rejected;

  PolicyActionFilter(Rule rule, Random random, UpdateScopes scopes) {
    this.rule = rule;
    this.random = random;
    this.scopes = scopes;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (!tx.cancelled()) {
      if (rejected != null) {
        tx.fillUnanswered(delta, rejected); // a whole-transaction rejection covers what comes later
      } else {
        evaluate(tx, delta);
      }
    }
    next.update(tx, delta);
  }

  private void evaluate(FilterTx tx, Delta delta) {
    Set<String> unmet = scopes.unmetTags(tx);
    if (unmet.contains(rule.tag())) {
      return;
    }
    if (rule.perRcpt()) {
      for (int i : delta.rcpts()) {
        if (tx.rcptResponse(i) != null) {
          continue;
        }
        MatchResult r = match(tx, OptionalInt.of(i));
        if (r == MatchResult.PRECONDITION_UNMET) {
          unmet.add(rule.tag());
          return;
        }
        if (r == MatchResult.MATCH) {
          apply(tx, delta, i);
        }
      }
      return;
    }
    if (retired(tx)) {
      return;
    }
    MatchResult r = match(tx, OptionalInt.empty());
    if (r == MatchResult.PRECONDITION_UNMET) {
      unmet.add(rule.tag());
    } else if (r == MatchResult.MATCH) {
      apply(tx, delta, -1);
    }
  }

  private MatchResult match(FilterTx tx, OptionalInt rcpt) {
    return rule.match() == null ? MatchResult.MATCH : rule.match().eval(tx, rcpt);
  }

  private boolean retired(FilterTx tx) {
    JsonNode out = tx.filterOutput().get(Signals.POLICY_ACTION);
    return out != null && (SignalMatchers.contains(out.get("matched_tags"), rule.tag())
        || SignalMatchers.contains(out.get("matched_rules"), rule.name()));
  }

  private void apply(FilterTx tx, Delta delta, int rcpt) {
    Action a = sample();
    switch (a) {
      case REJECT -> {
        record(tx, true);
        log.info("policy_action: rule {} (tag {}) rejects {} of tx {}: {} {}", rule.name(), rule.tag(),
            rcpt >= 0 ? "recipient " + rcpt : "the transaction", tx.restId(),
            rule.reject().code(), rule.reject().message());
        if (rcpt >= 0) {
          tx.rcptResponse(rcpt, rule.reject());
        } else {
          tx.fillUnanswered(delta, rule.reject());
          rejected = rule.reject();
        }
      }
      case LOG -> {
        record(tx, false);
        log.info("policy_action: rule {} (tag {}) matched {} of tx {} (LOG)", rule.name(), rule.tag(),
            rcpt >= 0 ? "recipient " + rcpt : "the transaction", tx.restId());
      }
      case MATCH -> record(tx, true);
    }
  }

  private Action sample() {
    List<Weighted> actions = rule.actions();
    if (actions.size() == 1) {
      return actions.get(0).action();
    }
    double total = 0;
    for (Weighted w : actions) {
      total += w.weight();
    }
    double n = random.nextDouble() * total;
    Weighted last = null;
    for (Weighted w : actions) {
      if (w.weight() <= 0) {
        continue;
      }
      if (n < w.weight()) {
        return w.action();
      }
      n -= w.weight();
      last = w;
    }
    return last.action(); // rounding at the very top
  }

  /** Records the rule (and the tag), each at most once. */
  private void record(FilterTx tx, boolean tag) {
    JsonNode existing = tx.filterOutput().get(Signals.POLICY_ACTION);
    ObjectNode out = existing instanceof ObjectNode o ? o : tx.filterOutput().putObject(Signals.POLICY_ACTION);
    ArrayNode tags = out.get("matched_tags") instanceof ArrayNode t ? t : out.putArray("matched_tags");
    ArrayNode rules = out.get("matched_rules") instanceof ArrayNode r ? r : out.putArray("matched_rules");
    if (tag && !SignalMatchers.contains(tags, rule.tag())) {
      tags.add(rule.tag());
    }
    if (!SignalMatchers.contains(rules, rule.name())) {
      rules.add(rule.name());
    }
  }
}
