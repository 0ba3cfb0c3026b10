package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Min;
import net.koukan.filter.FilterTx;

/**
 * Matchers over the signals of other filters (spec §5.4), named by the signal's key (and the
 * reference's Python name). A missing signal is PRECONDITION_UNMET; every argument given must
 * hold for a MATCH. The shapes read here are documented in {@link Signals}.
 */
final class SignalMatchers {
  private SignalMatchers() {}

  /** {@code message_validation}. */
  public record ValidationArgs(String validityThreshold, @Min(0) Integer maxReceivedHeaders) {}

  /** {@code dkim_check}. */
  public record DkimArgs(@Default("dkim_pass") String status, String alignment, List<String> domains) {}

  /** {@code spf_check}. */
  public record SpfArgs(String mailFromResult, String extraDomain, String extraDomainResult) {}

  /** {@code dns_resolution}. */
  public record DnsArgs(String mailResult, String rcptResult, String resolutionResult) {}

  /** {@code remote_host}. */
  public record RemoteHostArgs(Boolean fcrdns, Boolean ehloAlignment) {}

  /** {@code policy_action}. */
  public record PolicyArgs(String tag, String rule) {}

  static final List<String> DKIM_STATUS = List.of("temp_err", "dkim_pass", "fail", "unknown_algo");
  static final List<String> DKIM_ALIGNMENT = List.of("domain", "same_sld", "other");
  static final Set<String> SPF_RESULTS =
      Set.of("temperror", "pass", "permerror", "fail", "softfail", "none", "neutral");
  static final Set<String> DNS_RESULTS = Set.of("OK", "NX", "TEMP");

  /** Every signal matcher under our key, plus its reference name as an alias. */
  static List<Map.Entry<String, TransactionMatcher.Factory>> all() {
    List<TransactionMatcher.Factory> factories = List.of(
        new SimpleMatchers.Named(Signals.MESSAGE_VALIDATION, SignalMatchers::messageValidation),
        new SimpleMatchers.Named(Signals.DKIM_CHECK, SignalMatchers::dkimCheck),
        new SimpleMatchers.Named(Signals.SPF_CHECK, SignalMatchers::spfCheck),
        new SimpleMatchers.Named(Signals.DNS_RESOLUTION, SignalMatchers::dnsResolution),
        new SimpleMatchers.Named(Signals.REMOTE_HOST, SignalMatchers::remoteHost),
        new SimpleMatchers.Named(Signals.POLICY_ACTION, SignalMatchers::policyAction));
    List<Map.Entry<String, TransactionMatcher.Factory>> out = new ArrayList<>();
    for (TransactionMatcher.Factory f : factories) {
      out.add(Map.entry(f.name(), f));
      out.add(Map.entry(Signals.REFERENCE_NAMES.get(f.name()), f));
    }
    return out;
  }

  /** A matcher over one signal: {@code test} sees the signal and is never called without it. */
  private static TransactionMatcher onSignal(String key, boolean perRcpt,
      SignalTest test) {
    return new TransactionMatcher() {
      @Override
      public MatchResult match(FilterTx tx, OptionalInt rcpt) {
        JsonNode signal = Signals.get(tx, key);
        return signal == null ? MatchResult.PRECONDITION_UNMET : test.test(signal, rcpt);
      }

      @Override
      public boolean perRcptOnly() {
        return perRcpt;
      }
    };
  }

  @FunctionalInterface
  private interface SignalTest {
    MatchResult test(JsonNode signal, OptionalInt rcpt);
  }

  private static String oneOf(FilterStanza args, String key, String value, java.util.Collection<String> allowed) {
    if (value != null && !allowed.contains(value)) {
      throw args.error(key, "must be one of " + allowed.stream().sorted().toList() + ", not " + value);
    }
    return value;
  }

  /** Compares {@code signal.<key>} (text) with {@code expected}; null expected = no condition. */
  private static MatchResult text(JsonNode node, String expected) {
    if (expected == null) {
      return MatchResult.MATCH;
    }
    if (node == null || !node.isTextual()) {
      return MatchResult.PRECONDITION_UNMET;
    }
    return MatchResult.of(node.asText().equalsIgnoreCase(expected));
  }

  /** The conjunction of conditions: the first non-MATCH wins. */
  private static MatchResult and(MatchResult... results) {
    for (MatchResult r : results) {
      if (r != MatchResult.MATCH) {
        return r;
      }
    }
    return MatchResult.MATCH;
  }

  /**
   * {@code validity_threshold: LEVEL} matches a message <em>below</em> LEVEL (use with REJECT);
   * {@code max_received_headers: n} matches more than n Received headers.
   */
  static TransactionMatcher messageValidation(FilterStanza args) {
    ValidationArgs a = args.bind(ValidationArgs.class);
    Validity threshold = null;
    if (a.validityThreshold() != null) {
      oneOf(args, "validity_threshold", a.validityThreshold(),
          List.of("NONE", "BASIC", "MEDIUM", "HIGH"));
      threshold = Validity.valueOf(a.validityThreshold());
    }
    Validity t = threshold;
    Integer max = a.maxReceivedHeaders();
    return onSignal(Signals.MESSAGE_VALIDATION, false, (s, rcpt) -> {
      if (max != null) {
        JsonNode rc = s.has("received_count") ? s.get("received_count") : s.get("received_header_count");
        if (rc == null || !rc.canConvertToInt()) {
          return MatchResult.PRECONDITION_UNMET;
        }
        if (rc.asInt() <= max) {
          return MatchResult.NO_MATCH;
        }
      }
      if (t != null) {
        Validity v = Validity.of(s);
        if (v == null) {
          return MatchResult.PRECONDITION_UNMET;
        }
        if (v.compareTo(t) >= 0) {
          return MatchResult.NO_MATCH;
        }
      }
      return MatchResult.MATCH;
    });
  }

  /**
   * MATCH if some signature has {@code status} (default dkim_pass) and either an alignment at
   * least as close as {@code alignment} (domain &lt; same_sld &lt; other; default same_sld) or,
   * with {@code domains}, a d= domain in that list.
   */
  static TransactionMatcher dkimCheck(FilterStanza args) {
    DkimArgs a = args.bind(DkimArgs.class);
    String status = oneOf(args, "status", a.status(), DKIM_STATUS);
    oneOf(args, "alignment", a.alignment(), DKIM_ALIGNMENT);
    if (a.alignment() != null && a.domains() != null) {
      throw args.error("domains", "give alignment or domains, not both");
    }
    if (a.domains() != null && a.domains().isEmpty()) {
      throw args.error("domains", "must not be empty");
    }
    int align = DKIM_ALIGNMENT.indexOf(a.alignment() == null ? "same_sld" : a.alignment());
    List<String> domains = a.domains() == null ? null
        : a.domains().stream().map(SignalMatchers::normalizeDomain).toList();
    return onSignal(Signals.DKIM_CHECK, false, (s, rcpt) -> {
      JsonNode results = s.has("signatures") ? s.get("signatures") : s.get("results");
      if (results == null || !results.isArray()) {
        return MatchResult.NO_MATCH;
      }
      for (JsonNode r : results) {
        if (!status.equals(r.path("status").asText(null))) {
          continue;
        }
        if (domains != null) {
          String d = r.path("domain").asText(null);
          if (d != null && domains.contains(normalizeDomain(d))) {
            return MatchResult.MATCH;
          }
        } else {
          int al = DKIM_ALIGNMENT.indexOf(r.path("alignment").asText(""));
          if (al >= 0 && al <= align) {
            return MatchResult.MATCH;
          }
        }
      }
      return MatchResult.NO_MATCH;
    });
  }

  private static String normalizeDomain(String d) {
    String s = d.toLowerCase(Locale.ROOT);
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** {@code mail_from_result}, {@code extra_domain} + {@code extra_domain_result}. */
  static TransactionMatcher spfCheck(FilterStanza args) {
    SpfArgs a = args.bind(SpfArgs.class);
    String mail = oneOf(args, "mail_from_result", lower(a.mailFromResult()), SPF_RESULTS);
    String extraResult = oneOf(args, "extra_domain_result", lower(a.extraDomainResult()), SPF_RESULTS);
    if ((a.extraDomain() == null) != (extraResult == null)) {
      throw args.error(a.extraDomain() == null ? "extra_domain_result" : "extra_domain",
          "extra_domain and extra_domain_result go together");
    }
    String extra = a.extraDomain() == null ? null : normalizeDomain(a.extraDomain());
    return onSignal(Signals.SPF_CHECK, false, (s, rcpt) -> {
      MatchResult m = text(s.get("mail_from_result"), mail);
      if (m != MatchResult.MATCH || extra == null) {
        return m;
      }
      JsonNode domains = s.get("extra_domains");
      JsonNode result = null;
      if (domains != null && domains.isObject()) {
        for (var it = domains.fields(); it.hasNext(); ) {
          var e = it.next();
          if (normalizeDomain(e.getKey()).equals(extra)) {
            result = e.getValue();
          }
        }
      }
      return text(result, extraResult);
    });
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  /** {@code mail_result}, {@code rcpt_result} (PER_RCPT), {@code resolution_result}: OK|NX|TEMP. */
  static TransactionMatcher dnsResolution(FilterStanza args) {
    DnsArgs a = args.bind(DnsArgs.class);
    String mail = oneOf(args, "mail_result", a.mailResult(), DNS_RESULTS);
    String rcptResult = oneOf(args, "rcpt_result", a.rcptResult(), DNS_RESULTS);
    String resolution = oneOf(args, "resolution_result", a.resolutionResult(), DNS_RESULTS);
    return onSignal(Signals.DNS_RESOLUTION, rcptResult != null, (s, rcpt) -> {
      JsonNode r = null;
      if (rcptResult != null) {
        JsonNode arr = s.get("rcpt_result");
        int i = rcpt.orElseThrow();
        r = arr != null && arr.isArray() && i < arr.size() ? arr.get(i) : null;
      }
      return and(text(s.get("mail_result"), mail), text(r, rcptResult),
          text(s.get("resolution_result"), resolution));
    });
  }

  /** {@code fcrdns: bool}, {@code ehlo_alignment: bool}. */
  static TransactionMatcher remoteHost(FilterStanza args) {
    RemoteHostArgs a = args.bind(RemoteHostArgs.class);
    return onSignal(Signals.REMOTE_HOST, false, (s, rcpt) ->
        and(bool(s.get("fcrdns"), a.fcrdns()), bool(s.get("ehlo_alignment"), a.ehloAlignment())));
  }

  private static MatchResult bool(JsonNode node, Boolean expected) {
    if (expected == null) {
      return MatchResult.MATCH;
    }
    if (node == null || !node.isBoolean()) {
      return MatchResult.PRECONDITION_UNMET;
    }
    return MatchResult.of(node.asBoolean() == expected);
  }

  /**
   * {@code tag: x} / {@code rule: y}: MATCH if an earlier policy_action rule recorded it. Nothing
   * recorded yet is NO_MATCH (not a missing precondition).
   */
  static TransactionMatcher policyAction(FilterStanza args) {
    PolicyArgs a = args.bind(PolicyArgs.class);
    if (a.tag() == null && a.rule() == null) {
      throw args.error("matcher", "policy_action needs tag or rule (or both)");
    }
    Function<FilterTx, JsonNode> output = tx -> Signals.get(tx, Signals.POLICY_ACTION);
    return (tx, rcpt) -> {
      JsonNode s = output.apply(tx);
      if (s == null) {
        return MatchResult.NO_MATCH;
      }
      return MatchResult.of((a.tag() == null || contains(s.get("matched_tags"), a.tag()))
          && (a.rule() == null || contains(s.get("matched_rules"), a.rule())));
    };
  }

  static boolean contains(JsonNode array, String value) {
    if (array == null || !array.isArray()) {
      return false;
    }
    for (JsonNode n : array) {
      if (value.equals(n.asText(null))) {
        return true;
      }
    }
    return false;
  }
}
