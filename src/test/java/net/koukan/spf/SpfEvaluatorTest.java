package net.koukan.spf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import net.koukan.config.FilterStanza;
import net.koukan.dns.Dns;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.testing.Dnsmasq;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** check_host() against SPF records published by a real DNS server (dnsmasq) on loopback. */
class SpfEvaluatorTest {
  @TempDir static Path dir;
  static Dnsmasq dns;

  @BeforeAll
  static void startDns() throws Exception {
    dns = Dnsmasq.start(dir, "--local=/test/", "--local=/2.0.192.in-addr.arpa/",
        "--server=/temp.test/127.0.0.1#9", // SERVFAIL
        "--txt-record=pass.test,v=spf1 ip4:192.0.2.0/24 -all",
        "--txt-record=fail.test,v=spf1 ip4:198.51.100.0/24 -all",
        "--txt-record=softfail.test,v=spf1 ~all",
        "--txt-record=neutral.test,v=spf1 ?all",
        "--txt-record=nomatch.test,v=spf1 ip4:198.51.100.1",
        "--host-record=none.test,192.0.2.200",
        "--txt-record=other.test,some verification token",
        "--txt-record=two.test,v=spf1 -all", "--txt-record=two.test,v=spf1 +all",
        "--txt-record=bad.test,v=spf1 bogus -all",
        "--txt-record=a.test,v=spf1 a -all", "--host-record=a.test,192.0.2.10",
        "--txt-record=amail.test,v=spf1 a:mail.amail.test/24 -all", "--host-record=mail.amail.test,192.0.2.99",
        "--txt-record=mx.test,v=spf1 mx -all", "--mx-host=mx.test,mx1.mx.test,10", "--host-record=mx1.mx.test,192.0.2.10",
        "--txt-record=include.test,v=spf1 include:pass.test -all",
        "--txt-record=incfail.test,v=spf1 include:fail.test ~all",
        "--txt-record=incnone.test,v=spf1 include:none.test -all",
        "--txt-record=inctemp.test,v=spf1 include:temp.test -all",
        "--txt-record=redirect.test,v=spf1 redirect=pass.test",
        "--txt-record=redirnone.test,v=spf1 redirect=none.test",
        "--txt-record=exists.test,v=spf1 exists:%{i}.rbl.test -all", "--host-record=192.0.2.10.rbl.test,127.0.0.2",
        "--txt-record=loop.test,v=spf1 include:loop.test -all",
        "--txt-record=voids.test,v=spf1 a:n1.test a:n2.test a:n3.test -all",
        "--txt-record=exp.test,v=spf1 -all exp=explain.exp.test",
        "--txt-record=explain.exp.test,%{i} may not send mail for %{d}",
        "--txt-record=pass6.test,v=spf1 ip6:2001:db8::/32 -all",
        "--txt-record=ptr.test,v=spf1 ptr -all", "--host-record=host.ptr.test,192.0.2.20");
  }

  @AfterAll
  static void stopDns() throws Exception {
    dns.close();
  }

  static SpfEvaluator.Outcome check(String ip, String domain) throws Exception {
    Dns d = new Dns(Dns.parseServer(dns.address()), Duration.ofSeconds(2));
    return new SpfEvaluator(d, Clock.systemUTC(), "rx.test").check(InetAddress.getByName(ip), domain,
        "alice@" + domain, "client.example");
  }

  @ParameterizedTest
  @CsvSource({
      "192.0.2.10, pass.test, PASS",
      "192.0.2.10, fail.test, FAIL",
      "192.0.2.10, softfail.test, SOFTFAIL",
      "192.0.2.10, neutral.test, NEUTRAL",
      "192.0.2.10, nomatch.test, NEUTRAL",
      "192.0.2.10, none.test, NONE",
      "192.0.2.10, other.test, NONE",
      "192.0.2.10, nxdomain.test, NONE",
      "192.0.2.10, localhost, NONE",
      "192.0.2.10, two.test, PERMERROR",
      "192.0.2.10, bad.test, PERMERROR",
      "192.0.2.10, a.test, PASS",
      "192.0.2.11, a.test, FAIL",
      "192.0.2.10, amail.test, PASS",
      "192.0.2.10, mx.test, PASS",
      "192.0.2.11, mx.test, FAIL",
      "192.0.2.10, include.test, PASS",
      "192.0.2.10, incfail.test, SOFTFAIL",
      "198.51.100.7, incfail.test, PASS",
      "192.0.2.10, incnone.test, PERMERROR",
      "192.0.2.10, inctemp.test, TEMPERROR",
      "192.0.2.10, temp.test, TEMPERROR",
      "192.0.2.10, redirect.test, PASS",
      "198.51.100.7, redirect.test, FAIL",
      "192.0.2.10, redirnone.test, PERMERROR",
      "192.0.2.10, exists.test, PASS",
      "192.0.2.11, exists.test, FAIL",
      "192.0.2.10, loop.test, PERMERROR",
      "192.0.2.10, voids.test, PERMERROR",
      "2001:db8::10, pass6.test, PASS",
      "2001:db9::10, pass6.test, FAIL",
      "192.0.2.10, pass6.test, FAIL",
      "::ffff:192.0.2.10, pass.test, PASS",
      "192.0.2.20, ptr.test, PASS",
      "192.0.2.21, ptr.test, FAIL"})
  void results(String ip, String domain, SpfResult expected) throws Exception {
    SpfEvaluator.Outcome o = check(ip, domain);
    assertThat(o.result()).as(o.problem()).isEqualTo(expected);
  }

  @Test
  void limitsAndProblemsAreExplained() throws Exception {
    assertThat(check("192.0.2.10", "loop.test").problem()).contains("more than 10 DNS-querying terms");
    assertThat(check("192.0.2.10", "voids.test").problem()).contains("void lookups");
    assertThat(check("192.0.2.10", "two.test").problem()).contains("more than one SPF record");
  }

  @Test
  void failCarriesTheExpandedExplanation() throws Exception {
    SpfEvaluator.Outcome o = check("192.0.2.10", "exp.test");
    assertThat(o.result()).isEqualTo(SpfResult.FAIL);
    assertThat(o.explanation()).isEqualTo("192.0.2.10 may not send mail for exp.test");
  }

  static FilterTx filter(String ip, String mailFrom, String ehlo, String extra) throws Exception {
    ObjectNode o = TxJson.MAPPER.createObjectNode().put("resolver", dns.address()).put("timeout", 2)
        .put("authserv_id", "mx.rx.test");
    if (extra != null) {
      o.putArray("extra_domains").add(extra);
    }
    var f = new SpfCheckFilter.Factory(Clock.systemUTC(), "rx.test")
        .prepare(new FilterStanza("spf_check", o, "t.yaml", 1)).get();
    FilterTx tx = new FilterTx(null, "s", null);
    if (ip != null) {
      tx.remoteHost(new HostPort(ip, 41234));
    }
    tx.smtpMeta(TxJson.MAPPER.createObjectNode().put("ehlo_host", ehlo));
    tx.mailFrom(Mailbox.of(mailFrom));
    tx.addRcpt(Mailbox.of("bob@rx.test"));
    Chain c = new Chain(List.of(f, (t, d, n) -> t.fillUnanswered(d, new Response(250, "ok"))));
    c.update(tx, new Delta(true, List.of(0), false));
    tx.body(new Body.Raw(BlobSource.of("Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII))));
    c.update(tx, new Delta(false, List.of(), true));
    return tx;
  }

  static String body(FilterTx tx) throws Exception {
    return new String(((Body.Raw) tx.body()).blob().readAll(), StandardCharsets.UTF_8);
  }

  @Test
  void filterRecordsTheSignalAndPrependsAuthenticationResults() throws Exception {
    FilterTx tx = filter("192.0.2.10", "alice@pass.test", "mail.pass.test", "fail.test");
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().get("spf_check").toString()).isEqualTo(
        "{\"mail_from_result\":\"pass\",\"mail_from_domain\":\"pass.test\",\"identity\":\"mailfrom\","
            + "\"extra_domains\":{\"fail.test\":\"fail\"}}");
    assertThat(body(tx)).isEqualTo("Authentication-Results: mx.rx.test;\r\n\tspf=pass smtp.mailfrom=pass.test\r\n"
        + "Subject: hi\r\n\r\nhello\r\n");
  }

  @Test
  void nullReversePathChecksTheHeloName() throws Exception {
    FilterTx tx = filter("192.0.2.10", "", "a.test", null);
    assertThat(tx.filterOutput().at("/spf_check/mail_from_result").asText()).isEqualTo("pass");
    assertThat(body(tx)).startsWith("Authentication-Results: mx.rx.test;\r\n\tspf=pass smtp.helo=a.test\r\n");
  }

  @Test
  void noClientAddressNoCheckNoHeader() throws Exception {
    FilterTx tx = filter(null, "alice@pass.test", "x", null);
    assertThat(tx.filterOutput().has("spf_check")).isFalse();
    assertThat(body(tx)).startsWith("Subject: hi");
  }

  @Test
  void temporaryDnsTroubleIsASignalNotARejection() throws Exception {
    FilterTx tx = filter("192.0.2.10", "alice@temp.test", "x.test", null);
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().at("/spf_check/mail_from_result").asText()).isEqualTo("temperror");
    assertThat(body(tx)).contains("spf=temperror smtp.mailfrom=temp.test");
  }
}
