package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.koukan.config.FilterStanza;
import net.koukan.config.Required;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

class PolicyActionFilterTest {

  /** {@code matcher: stub, result: MATCH|NO_MATCH|PRECONDITION_UNMET, id: x}: records its calls. */
  static final class Stub implements TransactionMatcher.Factory {
    final List<String> calls = new ArrayList<>();

    public record Args(@Required String result, String id) {}

    @Override
    public String name() {
      return "stub";
    }

    @Override
    public TransactionMatcher create(FilterStanza args) {
      Args a = args.bind(Args.class);
      MatchResult r = MatchResult.valueOf(a.result());
      return (tx, rcpt) -> {
        calls.add(a.id() + (rcpt.isPresent() ? "#" + rcpt.getAsInt() : ""));
        return r;
      };
    }
  }

  final Stub stub = new Stub();

  PolicyActionFilter.Factory factory() {
    return new PolicyActionFilter.Factory(Map.of("stub", stub), new Random(7));
  }

  static JsonNode output(FilterTx tx) {
    return tx.filterOutput().get("policy_action");
  }

  static List<String> list(JsonNode array) {
    List<String> l = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> l.add(n.asText()));
    }
    return l;
  }

  @Test
  void perRecipientRejectsWithPipelinedRecipients() {
    List<Filter> rules = Harness.policies(factory(), """
        - filter: policy_action
          match: {matcher: invalid_rcpt_to}
          tag: valid_envelope
          mode: PER_RCPT
          action: REJECT
          code: 501
          message: 5.1.3 Bad mailbox address syntax
        - filter: policy_action
          mode: PER_RCPT
          match: {matcher: num_rcpts, max_rcpts: 2}
          action: REJECT
          tag: max_rcpts
          code: 451
          message: 4.5.3 too many recipients
        """);
    Harness.Output out = new Harness.Output();
    Chain chain = Harness.chain(rules, out);
    FilterTx tx = Harness.tx("alice@example.com");
    for (String r : List.of("bob@example.com", "bad@@example.com", "carol@example.com", "no spaces@x.example",
        "dave@example.com", "erin@example.com")) {
      tx.addRcpt(Mailbox.of(r));
    }
    // MAIL and six recipients in one update, as with PIPELINING
    chain.update(tx, new Delta(true, List.of(0, 1, 2, 3, 4, 5), false));
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponses()).extracting(Response::code).containsExactly(250, 501, 250, 501, 451, 451);
    assertThat(tx.rcptResponse(1).message()).isEqualTo("5.1.3 Bad mailbox address syntax");
    assertThat(tx.rcptResponse(4).message()).isEqualTo("4.5.3 too many recipients");
    assertThat(out.seen.get(0).rcpts()).containsExactly(0, 2);
    // the same tag recorded by several recipients is recorded once (the reference asserts, §9.1)
    assertThat(list(output(tx).get("matched_tags"))).containsExactly("valid_envelope", "max_rcpts");
    assertThat(list(output(tx).get("matched_rules"))).containsExactly("valid_envelope", "max_rcpts");
    // a later update: one more recipient, still too many
    int i = tx.addRcpt(Mailbox.of("frank@example.com"));
    chain.update(tx, new Delta(false, List.of(i), false));
    assertThat(tx.rcptResponse(i).code()).isEqualTo(451);
  }

  @Test
  void bodySignalIsUnmetUntilTheBodyThenDecides() {
    String rules = """
        - filter: policy_action
          name: invalid_message
          match: {matcher: message_validation, validity_threshold: HIGH}
          tag: validation
          action: REJECT
        - filter: policy_action
          name: valid_message
          tag: validation
        """;
    for (String validity : List.of("MEDIUM", "HIGH")) {
      PolicyActionFilter.Factory f = factory();
      List<Filter> filters = new ArrayList<>();
      filters.add(Harness.signalOnBody("message_validation", "{\"validity\": \"" + validity + "\"}"));
      filters.addAll(Harness.policies(f, rules));
      Harness.Output out = new Harness.Output();
      Chain chain = Harness.chain(filters, out);
      FilterTx tx = Harness.tx("alice@example.com");
      chain.update(tx, new Delta(true, List.of(), false));
      // the catch-all shares the tag: it must not decide while the first rule cannot
      assertThat(output(tx)).isNull();
      tx.addRcpt(Mailbox.of("bob@example.com"));
      chain.update(tx, new Delta(false, List.of(0), false));
      assertThat(output(tx)).isNull();
      tx.body(new Body.Raw(BlobSource.of(new byte[0])));
      chain.update(tx, new Delta(false, List.of(), true));
      if (validity.equals("MEDIUM")) {
        assertThat(tx.dataResponse()).isEqualTo(new Response(550, "5.6.0 message rejected invalid_message"));
        assertThat(list(output(tx).get("matched_rules"))).containsExactly("invalid_message");
        assertThat(out.seen).hasSize(2); // the body never reached the output
      } else {
        assertThat(tx.dataResponse().code()).isEqualTo(250);
        assertThat(list(output(tx).get("matched_rules"))).containsExactly("valid_message");
      }
      assertThat(list(output(tx).get("matched_tags"))).containsExactly("validation");
    }
  }

  @Test
  void unmetIsForgottenOnTheNextUpdate() {
    // a catch-all of another tag is not held back; a whole-tx rule re-evaluates every update
    PolicyActionFilter.Factory f = factory();
    List<Filter> filters = Harness.policies(f, """
        - filter: policy_action
          match: {matcher: stub, result: PRECONDITION_UNMET, id: a}
          tag: t
        - filter: policy_action
          match: {matcher: stub, result: MATCH, id: b}
          tag: t
        - filter: policy_action
          match: {matcher: stub, result: MATCH, id: c}
          tag: other
        """);
    Chain chain = Harness.chain(filters, new Harness.Output());
    FilterTx tx = Harness.tx("alice@example.com");
    chain.update(tx, new Delta(true, List.of(), false));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    assertThat(stub.calls).containsExactly("a", "c", "a");
    assertThat(list(output(tx).get("matched_tags"))).containsExactly("other");
  }

  @Test
  void logRetiresTheRuleButNotTheTag() {
    PolicyActionFilter.Factory f = factory();
    List<Filter> filters = Harness.policies(f, """
        - filter: policy_action
          name: smoke
          match: {matcher: stub, result: MATCH, id: log}
          tag: t
          action: LOG
        - filter: policy_action
          name: smoke
          match: {matcher: stub, result: MATCH, id: same_name}
          tag: u
        - filter: policy_action
          name: second
          match: {matcher: stub, result: MATCH, id: same_tag}
          tag: t
        - filter: policy_action
          name: third
          match: {matcher: stub, result: MATCH, id: after_match}
          tag: t
          action: REJECT
        """);
    Chain chain = Harness.chain(filters, new Harness.Output());
    FilterTx tx = Harness.tx("alice@example.com");
    chain.update(tx, new Delta(true, List.of(), false));
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(false, List.of(0), false));
    // LOG fires once; the rule named like it is retired; MATCH in tag t retires the REJECT
    assertThat(stub.calls).containsExactly("log", "same_tag");
    assertThat(list(output(tx).get("matched_rules"))).containsExactly("smoke", "second");
    assertThat(list(output(tx).get("matched_tags"))).containsExactly("t");
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
  }

  @Test
  void wholeTransactionRejectAnswersLaterRequestsToo() {
    List<Filter> filters = Harness.policies(factory(), """
        - filter: policy_action
          match: {matcher: num_rcpts, max_rcpts: 1}
          tag: one_rcpt
          action: REJECT
          code: 452
          message: 4.5.3 one recipient please
        """);
    Harness.Output out = new Harness.Output();
    Chain chain = Harness.chain(filters, out);
    FilterTx tx = Harness.tx("alice@example.com");
    tx.addRcpt(Mailbox.of("bob@example.com"));
    chain.update(tx, new Delta(true, List.of(0), false));
    assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
    tx.addRcpt(Mailbox.of("carol@example.com"));
    chain.update(tx, new Delta(false, List.of(1), false));
    assertThat(tx.rcptResponse(1)).isEqualTo(new Response(452, "4.5.3 one recipient please"));
    tx.addRcpt(Mailbox.of("dave@example.com"));
    chain.update(tx, new Delta(false, List.of(2), false));
    assertThat(tx.rcptResponse(2).code()).isEqualTo(452);
    tx.body(new Body.Raw(BlobSource.of(new byte[0])));
    chain.update(tx, new Delta(false, List.of(), true));
    assertThat(tx.dataResponse().code()).isEqualTo(452);
    assertThat(out.seen).hasSize(1);
  }

  @Test
  void matchExpressions() {
    record Case(String match, MatchResult expected, List<String> calls) {}
    List<Case> cases = List.of(
        new Case("{matcher: stub, result: MATCH, id: a}", MatchResult.MATCH, List.of("a")),
        new Case("{not: {matcher: stub, result: MATCH, id: a}}", MatchResult.NO_MATCH, List.of("a")),
        new Case("{not: {matcher: stub, result: NO_MATCH, id: a}}", MatchResult.MATCH, List.of("a")),
        new Case("{not: {matcher: stub, result: PRECONDITION_UNMET, id: a}}", MatchResult.PRECONDITION_UNMET,
            List.of("a")),
        new Case("{any: [{matcher: stub, result: NO_MATCH, id: a}, {matcher: stub, result: MATCH, id: b},"
            + " {matcher: stub, result: MATCH, id: c}]}", MatchResult.MATCH, List.of("a", "b")),
        new Case("{any: [{matcher: stub, result: NO_MATCH, id: a}, {matcher: stub, result: NO_MATCH, id: b}]}",
            MatchResult.NO_MATCH, List.of("a", "b")),
        new Case("{any: [{matcher: stub, result: PRECONDITION_UNMET, id: a}, {matcher: stub, result: MATCH, id: b}]}",
            MatchResult.PRECONDITION_UNMET, List.of("a")),
        new Case("{all: [{matcher: stub, result: MATCH, id: a}, {matcher: stub, result: NO_MATCH, id: b},"
            + " {matcher: stub, result: PRECONDITION_UNMET, id: c}]}", MatchResult.NO_MATCH, List.of("a", "b")),
        new Case("{all: [{matcher: stub, result: MATCH, id: a}, {matcher: stub, result: PRECONDITION_UNMET, id: b},"
            + " {matcher: stub, result: NO_MATCH, id: c}]}", MatchResult.PRECONDITION_UNMET, List.of("a", "b")),
        new Case("{all: [{matcher: stub, result: MATCH, id: a}, {not: {any: [{matcher: stub, result: NO_MATCH, id: b}]}}]}",
            MatchResult.MATCH, List.of("a", "b")));
    for (Case c : cases) {
      stub.calls.clear();
      PolicyActionFilter.Factory f = factory();
      PolicyActionFilter.Rule rule = f.rule(Harness.stanzas(
          "- filter: policy_action\n  tag: t\n  match: " + c.match() + "\n").get(0));
      FilterTx tx = Harness.tx("a@example.com");
      assertThat(rule.match().eval(tx, java.util.OptionalInt.empty())).as(c.match()).isEqualTo(c.expected());
      assertThat(stub.calls).as(c.match()).isEqualTo(c.calls());
    }
  }

  @Test
  void emptyOrMissingMatchIsACatchAll() {
    List<Filter> filters = Harness.policies(factory(), """
        - filter: policy_action
          tag: a
        - filter: policy_action
          tag: b
          match: {}
          action: LOG
        """);
    FilterTx tx = Harness.tx("alice@example.com");
    Harness.chain(filters, new Harness.Output()).update(tx, new Delta(true, List.of(), false));
    assertThat(list(output(tx).get("matched_rules"))).containsExactly("a", "b");
    assertThat(list(output(tx).get("matched_tags"))).containsExactly("a");
  }

  @Test
  void weightedActionsFollowTheWeightsAndTheSeed() {
    String yaml = """
        - filter: policy_action
          tag: sample
          action: [[9, LOG], [1, REJECT]]
        """;
    List<Integer> rejectedRuns = new ArrayList<>();
    for (int run = 0; run < 2; run++) {
      PolicyActionFilter.Factory f = new PolicyActionFilter.Factory(Map.of(), new Random(1234));
      var supplier = f.prepare(Harness.stanzas(yaml).get(0));
      int rejected = 0;
      StringBuilder pattern = new StringBuilder();
      for (int i = 0; i < 2000; i++) {
        FilterTx tx = Harness.tx("alice@example.com");
        Harness.chain(List.of(supplier.get()), new Harness.Output()).update(tx, new Delta(true, List.of(), false));
        boolean rej = tx.mailResponse().code() == 550;
        rejected += rej ? 1 : 0;
        pattern.append(rej ? 'R' : 'L');
        assertThat(list(output(tx).get("matched_tags"))).isEqualTo(rej ? List.of("sample") : List.of());
      }
      assertThat(rejected).isBetween(140, 260); // 10% of 2000, give or take
      rejectedRuns.add(pattern.toString().hashCode());
    }
    assertThat(rejectedRuns.get(0)).isEqualTo(rejectedRuns.get(1)); // same seed, same draws
    var never = new PolicyActionFilter.Factory(Map.of(), new Random(1)).prepare(Harness.stanzas("""
        - filter: policy_action
          tag: sample
          action: [[0, REJECT], [2.5, MATCH]]
        """).get(0));
    for (int i = 0; i < 200; i++) {
      FilterTx tx = Harness.tx("alice@example.com");
      Harness.chain(List.of(never.get()), new Harness.Output()).update(tx, new Delta(true, List.of(), false));
      assertThat(tx.mailResponse().code()).isEqualTo(250);
    }
  }

  @Test
  void customAndDefaultCodeAndMessage() {
    String rules = """
        - filter: policy_action
          match: {matcher: invalid_mail_from}
          tag: valid_envelope
          action: REJECT
          code: 501
          message: 5.1.3 Bad mailbox address syntax
        - filter: policy_action
          match: {matcher: address_list, domains: [spam.example]}
          tag: blocklist
          name: blocked_sender
          action: REJECT
        """;
    PolicyActionFilter.Factory f = factory();
    // filters are made per attempt (a whole-transaction rejection sticks to its transaction)
    FilterTx bad = Harness.tx("not an address");
    Harness.chain(Harness.policies(f, rules), new Harness.Output()).update(bad, new Delta(true, List.of(), false));
    assertThat(bad.mailResponse()).isEqualTo(new Response(501, "5.1.3 Bad mailbox address syntax"));
    FilterTx spam = Harness.tx("x@spam.example");
    spam.addRcpt(Mailbox.of("bob@example.com"));
    Harness.chain(Harness.policies(f, rules), new Harness.Output()).update(spam, new Delta(true, List.of(0), false));
    assertThat(spam.mailResponse()).isEqualTo(new Response(550, "5.6.0 message rejected blocked_sender"));
    // every request of the update without an answer gets the rejection
    assertThat(spam.rcptResponse(0)).isEqualTo(new Response(550, "5.6.0 message rejected blocked_sender"));
    FilterTx ok = Harness.tx("alice@example.com");
    Harness.chain(Harness.policies(f, rules), new Harness.Output()).update(ok, new Delta(true, List.of(), false));
    assertThat(ok.mailResponse().code()).isEqualTo(250);
    assertThat(output(ok)).isNull();
  }

  @Test
  void cancelledTransactionsAreLeftAlone() {
    List<Filter> filters = Harness.policies(factory(), """
        - filter: policy_action
          tag: all
          action: REJECT
        """);
    FilterTx tx = Harness.tx("alice@example.com");
    tx.cancel();
    Harness.chain(filters, new Harness.Output()).update(tx, new Delta(true, List.of(), false));
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(output(tx)).isNull();
  }

  @Test
  void policyActionSignalSeesEarlierRules() {
    String rules = """
        - filter: policy_action
          match: {matcher: smtp_auth}
          tag: authenticated
          name: auth_rule
        - filter: policy_action
          match:
            not: {matcher: policy_action, tag: authenticated}
          tag: relay
          action: REJECT
          code: 550
          message: 5.7.1 relaying denied
        - filter: policy_action
          match: {matcher: koukan.policy_action_filter.PolicyActionFilter, rule: auth_rule, tag: authenticated}
          tag: note
          action: LOG
        """;
    PolicyActionFilter.Factory f = factory();
    for (boolean auth : List.of(true, false)) {
      FilterTx tx = Harness.tx("alice@example.com");
      var meta = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      meta.put("ehlo_host", "c.example").put("esmtp", true).put("tls", true).put("auth", auth);
      tx.smtpMeta(meta);
      Harness.chain(Harness.policies(f, rules), new Harness.Output()).update(tx, new Delta(true, List.of(), false));
      assertThat(tx.mailResponse().code()).isEqualTo(auth ? 250 : 550);
      assertThat(list(output(tx).get("matched_rules")))
          .isEqualTo(auth ? List.of("auth_rule", "note") : List.of("relay"));
    }
  }
}
