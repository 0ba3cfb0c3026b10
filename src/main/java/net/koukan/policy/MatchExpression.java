package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import net.koukan.config.FilterStanza;
import net.koukan.config.RawStanza;
import net.koukan.config.Required;
import net.koukan.filter.FilterTx;

/**
 * A {@code match:} expression: {@code {matcher: name, ...args}}, {@code {any: [expr...]}},
 * {@code {all: [expr...]}} or {@code {not: expr}}. any/all short-circuit; PRECONDITION_UNMET
 * passes through {@code not} and stops any/all (spec §5.4).
 */
sealed interface MatchExpression {

  MatchResult eval(FilterTx tx, OptionalInt rcpt);

  record Leaf(String name, TransactionMatcher matcher) implements MatchExpression {
    @Override
    public MatchResult eval(FilterTx tx, OptionalInt rcpt) {
      MatchResult r = matcher.match(tx, rcpt);
      return r == null ? MatchResult.PRECONDITION_UNMET : r;
    }
  }

  record Not(MatchExpression inner) implements MatchExpression {
    @Override
    public MatchResult eval(FilterTx tx, OptionalInt rcpt) {
      return switch (inner.eval(tx, rcpt)) {
        case MATCH -> MatchResult.NO_MATCH;
        case NO_MATCH -> MatchResult.MATCH;
        case PRECONDITION_UNMET -> MatchResult.PRECONDITION_UNMET;
      };
    }
  }

  record Any(List<MatchExpression> items) implements MatchExpression {
    @Override
    public MatchResult eval(FilterTx tx, OptionalInt rcpt) {
      for (MatchExpression e : items) {
        MatchResult r = e.eval(tx, rcpt);
        if (r != MatchResult.NO_MATCH) {
          return r;
        }
      }
      return MatchResult.NO_MATCH;
    }
  }

  record All(List<MatchExpression> items) implements MatchExpression {
    @Override
    public MatchResult eval(FilterTx tx, OptionalInt rcpt) {
      for (MatchExpression e : items) {
        MatchResult r = e.eval(tx, rcpt);
        if (r != MatchResult.MATCH) {
          return r;
        }
      }
      return MatchResult.MATCH;
    }
  }

  /** YAML of {@code any:}, with the position of each element. */
  record AnyYaml(@Required List<RawStanza> any) {}

  /** YAML of {@code all:}, with the position of each element. */
  record AllYaml(@Required List<RawStanza> all) {}

  /**
   * Parses and checks an expression at start-up: unknown matchers, bad arguments and recipient
   * matchers in whole-transaction rules fail with the file:line of the offending key.
   */
  static MatchExpression parse(FilterStanza s, Map<String, TransactionMatcher.Factory> matchers,
      boolean perRcpt) {
    ObjectNode o = s.options();
    JsonNode name = o.get("matcher");
    if (name != null) {
      if (!name.isTextual() || name.asText().isEmpty()) {
        throw s.error("matcher", "must be a matcher name");
      }
      TransactionMatcher.Factory f = matchers.get(name.asText());
      if (f == null) {
        throw s.error("matcher", "unknown matcher " + name.asText() + " (known: "
            + new TreeSet<>(matchers.keySet()) + ")");
      }
      ObjectNode args = o.deepCopy();
      args.remove("matcher");
      TransactionMatcher m = f.create(new FilterStanza(name.asText(), args, s.file(), s.line(), s.origin()));
      if (m == null) {
        throw s.error("matcher", "matcher " + name.asText() + " made nothing of these arguments");
      }
      if (m.perRcptOnly() && !perRcpt) {
        throw s.error("matcher", "matcher " + name.asText()
            + " with these arguments is about one recipient: its rule needs mode: PER_RCPT");
      }
      return new Leaf(name.asText(), m);
    }
    if (o.size() != 1) {
      throw s.error(null, "a match expression is {matcher: name, ...}, {any: [...]}, {all: [...]}"
          + " or {not: {...}}, got keys " + fieldNames(o));
    }
    String op = o.fieldNames().next();
    switch (op) {
      case "not" -> {
        return new Not(parse(s.sub("not", "not"), matchers, perRcpt));
      }
      case "any", "all" -> {
        List<RawStanza> raw = op.equals("any") ? s.bind(AnyYaml.class).any() : s.bind(AllYaml.class).all();
        if (raw.isEmpty()) {
          throw s.error(op, "must not be empty");
        }
        List<MatchExpression> items = new ArrayList<>();
        for (RawStanza r : raw) {
          items.add(parse(r.asFilter(op), matchers, perRcpt));
        }
        return op.equals("any") ? new Any(List.copyOf(items)) : new All(List.copyOf(items));
      }
      default -> throw s.error(op, "unknown key: a match expression is {matcher: name, ...},"
          + " {any: [...]}, {all: [...]} or {not: {...}}");
    }
  }

  private static List<String> fieldNames(ObjectNode o) {
    List<String> l = new ArrayList<>();
    o.fieldNames().forEachRemaining(l::add);
    return l;
  }
}
