package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.OptionalInt;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

/** Each built-in matcher, through the YAML a rule would have. */
class MatchersTest {
  static final OptionalInt TX = OptionalInt.empty();

  /** The matcher of {@code match: <yaml>} in a rule of the given mode. */
  static MatchExpression matcher(String yaml, boolean perRcpt) {
    String rule = "- filter: policy_action\n  tag: t\n" + (perRcpt ? "  mode: PER_RCPT\n" : "")
        + "  match: " + yaml + "\n";
    return Harness.factory().rule(Harness.stanzas(rule).get(0)).match();
  }

  static MatchExpression matcher(String yaml) {
    return matcher(yaml, false);
  }

  static FilterTx tx() {
    return Harness.tx("alice@example.com");
  }

  static FilterTx withSignal(String key, String json) {
    FilterTx tx = tx();
    tx.filterOutput().set(key, Harness.parse(json));
    return tx;
  }

  static ObjectNode meta(boolean tls, boolean auth) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("ehlo_host", "c.example").put("esmtp", true).put("tls", tls).put("auth", auth);
    return m;
  }

  @Test
  void networkAddress() {
    MatchExpression v4 = matcher("{matcher: network_address, cidr: 192.0.2.0/24}");
    MatchExpression v6 = matcher("{matcher: network_address, cidr: \"2001:db8::/32\"}");
    FilterTx tx = tx();
    assertThat(v4.eval(tx, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET); // no remote host (REST)
    tx.remoteHost(new HostPort("192.0.2.200", 25));
    assertThat(v4.eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(v6.eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx six = tx();
    six.remoteHost(new HostPort("2001:db8:1::5", 25));
    assertThat(v6.eval(six, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(v4.eval(six, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx other = tx();
    other.remoteHost(new HostPort("198.51.100.1", 25));
    assertThat(v4.eval(other, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx named = tx();
    named.remoteHost(new HostPort("host.example", 25));
    assertThat(v4.eval(named, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: network_address, cidr: 192.0.2.7}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
  }

  @Test
  void smtpTlsAndAuth() {
    MatchExpression tls = matcher("{matcher: smtp_tls}");
    MatchExpression auth = matcher("{matcher: smtp_auth}");
    FilterTx rest = tx();
    assertThat(tls.eval(rest, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    assertThat(auth.eval(rest, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    FilterTx smtp = tx();
    smtp.smtpMeta(meta(true, false));
    assertThat(tls.eval(smtp, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(auth.eval(smtp, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx authed = tx();
    authed.smtpMeta(meta(false, true));
    assertThat(tls.eval(authed, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(auth.eval(authed, TX)).isEqualTo(MatchResult.MATCH);
  }

  @Test
  void addressListOnEachAddress() {
    String spec = "domains: [example.com], delimiter: '+', prefixes: [bob]";
    MatchExpression mail = matcher("{matcher: address_list, " + spec + "}");
    MatchExpression rcpt = matcher("{matcher: address_list, which_addr: rcpt_to, " + spec + "}", true);
    MatchExpression header = matcher("{matcher: address_list, which_addr: header_from, " + spec + "}");
    MatchExpression anyLocal = matcher("{matcher: address_list, domains: [example.com]}");

    FilterTx tx = Harness.tx("Bob+list@Example.com");
    tx.addRcpt(Mailbox.of("bob@example.com"));
    tx.addRcpt(Mailbox.of("bobby@example.com"));
    tx.addRcpt(Mailbox.of("bob@@example.com"));
    assertThat(mail.eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(rcpt.eval(tx, OptionalInt.of(0))).isEqualTo(MatchResult.MATCH);
    assertThat(rcpt.eval(tx, OptionalInt.of(1))).isEqualTo(MatchResult.NO_MATCH);
    assertThat(rcpt.eval(tx, OptionalInt.of(2))).isEqualTo(MatchResult.NO_MATCH); // invalid never matches
    assertThat(anyLocal.eval(Harness.tx("whoever@example.com"), TX)).isEqualTo(MatchResult.MATCH);
    assertThat(anyLocal.eval(Harness.tx(""), TX)).isEqualTo(MatchResult.NO_MATCH);

    // header_from comes from the message_validation signal (the reference's wrong key is fixed)
    assertThat(header.eval(tx, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    tx.filterOutput().set("message_validation", Harness.parse(
        "{\"validity\":\"HIGH\",\"received_count\":0,\"header_from\":\"bob+x@example.com\"}"));
    assertThat(header.eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    FilterTx other = withSignal("message_validation", "{\"validity\":\"HIGH\",\"header_from\":\"eve@example.com\"}");
    assertThat(header.eval(other, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx none = withSignal("message_validation", "{\"validity\":\"BASIC\",\"error\":\"missing From header\"}");
    assertThat(header.eval(none, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx reference = withSignal("koukan.message_validation_filter.MessageValidationFilter",
        "{\"status\":3,\"header_from\":\"bob@example.com\"}");
    assertThat(header.eval(reference, TX)).isEqualTo(MatchResult.MATCH);
  }

  @Test
  void numRcpts() {
    MatchExpression perRcpt = matcher("{matcher: num_rcpts, max_rcpts: 2}", true);
    MatchExpression whole = matcher("{matcher: num_rcpts, max_rcpts: 2}");
    FilterTx tx = tx();
    for (int i = 0; i < 4; i++) {
      tx.addRcpt(Mailbox.of("r" + i + "@example.com"));
    }
    tx.rcptResponse(0, new Response(250, "ok"));
    tx.rcptResponse(1, new Response(550, "no")); // failed: does not count
    // rcpt 2 pending (no answer yet) counts
    assertThat(perRcpt.eval(tx, OptionalInt.of(0))).isEqualTo(MatchResult.NO_MATCH);
    assertThat(perRcpt.eval(tx, OptionalInt.of(2))).isEqualTo(MatchResult.NO_MATCH); // 1 before it
    assertThat(perRcpt.eval(tx, OptionalInt.of(3))).isEqualTo(MatchResult.MATCH); // 0 and 2 before it
    assertThat(whole.eval(tx, TX)).isEqualTo(MatchResult.MATCH); // 3 not failed > 2
    tx.rcptResponse(3, new Response(451, "later"));
    assertThat(whole.eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
  }

  @Test
  void invalidAddresses() {
    MatchExpression from = matcher("{matcher: invalid_mail_from}");
    MatchExpression rcpt = matcher("{matcher: invalid_rcpt_to}", true);
    FilterTx noMail = new FilterTx("t", "s", null);
    assertThat(from.eval(noMail, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    for (String ok : List.of("", "a@b.example", "\"a b\"@example.com", "x.y+z@[192.0.2.1]",
        "x@[IPv6:2001:db8::1]", "j\u00f6rg@b\u00fccher.example", "o'brien@example.com")) {
      assertThat(from.eval(Harness.tx(ok), TX)).as(ok).isEqualTo(MatchResult.NO_MATCH);
    }
    for (String bad : List.of("a", "a@", "@b.example", "a@@b.example", "a b@example.com", ".a@b.example",
        "a..b@example.com", "a@-b.example", "a@b_c.example", "a@[300.1.1.1]", "a@b.example.",
        "x".repeat(65) + "@example.com", "<a@b.example>")) {
      assertThat(from.eval(Harness.tx(bad), TX)).as(bad).isEqualTo(MatchResult.MATCH);
    }
    FilterTx tx = tx();
    tx.addRcpt(Mailbox.of("bob@example.com"));
    tx.addRcpt(Mailbox.of("bob"));
    tx.addRcpt(Mailbox.of("Postmaster"));
    assertThat(rcpt.eval(tx, OptionalInt.of(0))).isEqualTo(MatchResult.NO_MATCH);
    assertThat(rcpt.eval(tx, OptionalInt.of(1))).isEqualTo(MatchResult.MATCH);
    assertThat(rcpt.eval(tx, OptionalInt.of(2))).isEqualTo(MatchResult.NO_MATCH);
  }

  @Test
  void messageValidationSignal() {
    MatchExpression belowHigh = matcher("{matcher: message_validation, validity_threshold: HIGH}");
    MatchExpression belowMedium = matcher(
        "{matcher: koukan.message_validation_filter.MessageValidationFilter, validity_threshold: MEDIUM}");
    MatchExpression looping = matcher("{matcher: message_validation, max_received_headers: 3}");
    MatchExpression both = matcher(
        "{matcher: message_validation, max_received_headers: 3, validity_threshold: HIGH}");
    FilterTx none = tx();
    assertThat(belowHigh.eval(none, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    FilterTx medium = withSignal("message_validation", "{\"validity\":\"MEDIUM\",\"received_count\":4}");
    assertThat(belowHigh.eval(medium, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(belowMedium.eval(medium, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(looping.eval(medium, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(both.eval(medium, TX)).isEqualTo(MatchResult.MATCH);
    FilterTx high = withSignal("message_validation", "{\"validity\":\"HIGH\",\"received_count\":3}");
    assertThat(belowHigh.eval(high, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(looping.eval(high, TX)).isEqualTo(MatchResult.NO_MATCH);
    FilterTx basic = withSignal("message_validation", "{\"validity\":\"NONE\"}");
    assertThat(belowMedium.eval(basic, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(looping.eval(basic, TX)).isEqualTo(MatchResult.PRECONDITION_UNMET); // count unknown
    FilterTx reference = withSignal("koukan.message_validation_filter.MessageValidationFilter",
        "{\"status\":1,\"received_header_count\":0}");
    assertThat(belowMedium.eval(reference, TX)).isEqualTo(MatchResult.MATCH);
  }

  @Test
  void dkimSignal() {
    String results = "{\"signatures\":["
        + "{\"status\":\"fail\",\"domain\":\"example.com\",\"alignment\":\"domain\"},"
        + "{\"status\":\"dkim_pass\",\"domain\":\"mail.Example.com\",\"alignment\":\"same_sld\"},"
        + "{\"status\":\"dkim_pass\",\"domain\":\"esp.example\",\"alignment\":\"other\"}]}";
    FilterTx tx = withSignal("dkim_check", results);
    assertThat(matcher("{matcher: dkim_check}").eval(tx(), TX)).isEqualTo(MatchResult.PRECONDITION_UNMET);
    assertThat(matcher("{matcher: dkim_check}").eval(tx, TX)).isEqualTo(MatchResult.MATCH); // pass + same_sld
    assertThat(matcher("{matcher: koukan.dkim_check_filter.DkimCheckFilter, alignment: domain}").eval(tx, TX))
        .isEqualTo(MatchResult.NO_MATCH); // the aligned one failed
    assertThat(matcher("{matcher: dkim_check, status: fail, alignment: domain}").eval(tx, TX))
        .isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: dkim_check, domains: [example.com]}").eval(tx, TX))
        .isEqualTo(MatchResult.NO_MATCH); // d=example.com did not pass
    assertThat(matcher("{matcher: dkim_check, domains: [esp.example, mail.example.com]}").eval(tx, TX))
        .isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: dkim_check, status: temp_err}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: dkim_check}").eval(withSignal("dkim_check", "{\"results\":[]}"), TX))
        .isEqualTo(MatchResult.NO_MATCH);
  }

  @Test
  void spfSignal() {
    FilterTx tx = withSignal("spf_check",
        "{\"mail_from_result\":\"softfail\",\"mail_from_domain\":\"example.com\",\"extra_domains\":{\"Example.NET\":\"pass\"}}");
    assertThat(matcher("{matcher: spf_check, mail_from_result: softfail}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: koukan.spf_check_filter.SpfCheckFilter, mail_from_result: pass}").eval(tx, TX))
        .isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: spf_check, extra_domain: example.net, extra_domain_result: pass}").eval(tx, TX))
        .isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: spf_check, extra_domain: example.org, extra_domain_result: pass}").eval(tx, TX))
        .isEqualTo(MatchResult.PRECONDITION_UNMET);
    assertThat(matcher("{matcher: spf_check, mail_from_result: softfail, extra_domain: example.net,"
        + " extra_domain_result: fail}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: spf_check, mail_from_result: pass}").eval(tx(), TX))
        .isEqualTo(MatchResult.PRECONDITION_UNMET);
  }

  @Test
  void dnsResolutionSignal() {
    FilterTx tx = withSignal("dns_resolution",
        "{\"mail_result\":\"OK\",\"rcpt_result\":[\"OK\",\"NX\",null]}");
    MatchResult unmetBeforeRouting = matcher("{matcher: dns_resolution, resolution_result: NX}").eval(tx, TX);
    assertThat(unmetBeforeRouting).isEqualTo(MatchResult.PRECONDITION_UNMET);
    assertThat(matcher("{matcher: dns_resolution, mail_result: OK}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: dns_resolution, mail_result: TEMP}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    MatchExpression rcptNx = matcher("{matcher: koukan.mx_resolution.DnsResolutionFilter, rcpt_result: NX}", true);
    assertThat(rcptNx.eval(tx, OptionalInt.of(0))).isEqualTo(MatchResult.NO_MATCH);
    assertThat(rcptNx.eval(tx, OptionalInt.of(1))).isEqualTo(MatchResult.MATCH);
    assertThat(rcptNx.eval(tx, OptionalInt.of(2))).isEqualTo(MatchResult.PRECONDITION_UNMET);
    assertThat(rcptNx.eval(tx, OptionalInt.of(3))).isEqualTo(MatchResult.PRECONDITION_UNMET);
    tx.filterOutput().withObject("/dns_resolution").put("resolution_result", "TEMP");
    assertThat(matcher("{matcher: dns_resolution, resolution_result: TEMP}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: dns_resolution, resolution_result: NX}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
  }

  @Test
  void remoteHostSignal() {
    FilterTx tx = withSignal("remote_host", "{\"status\":\"OK\",\"fcrdns\":true,\"ehlo_alignment\":false}");
    assertThat(matcher("{matcher: remote_host, fcrdns: true}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: koukan.remote_host_filter.RemoteHostFilter, fcrdns: false}").eval(tx, TX))
        .isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: remote_host, ehlo_alignment: false}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: remote_host, fcrdns: true, ehlo_alignment: true}").eval(tx, TX))
        .isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: remote_host, fcrdns: false}").eval(tx(), TX))
        .isEqualTo(MatchResult.PRECONDITION_UNMET);
    FilterTx temp = withSignal("remote_host", "{\"status\":\"TEMP\"}");
    assertThat(matcher("{matcher: remote_host, fcrdns: false}").eval(temp, TX))
        .isEqualTo(MatchResult.PRECONDITION_UNMET);
  }

  @Test
  void policyActionSignal() {
    FilterTx tx = withSignal("policy_action", "{\"matched_tags\":[\"a\"],\"matched_rules\":[\"r1\",\"log\"]}");
    assertThat(matcher("{matcher: policy_action, tag: a}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: policy_action, rule: log}").eval(tx, TX)).isEqualTo(MatchResult.MATCH);
    assertThat(matcher("{matcher: policy_action, tag: b}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: policy_action, tag: a, rule: r2}").eval(tx, TX)).isEqualTo(MatchResult.NO_MATCH);
    assertThat(matcher("{matcher: policy_action, tag: a}").eval(tx(), TX)).isEqualTo(MatchResult.NO_MATCH);
  }
}
