package net.koukan.dkim;

import static net.koukan.dkim.FilterTestSupport.stanza;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.koukan.filter.Body;
import net.koukan.filter.FilterTx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DkimCheckFilterTest {

  static JsonNode check(String message, TestKeys.MapResolver dns, String options) {
    var f = new DkimCheckFilter.Factory(SignVerifyTest.CLOCK, null, dns).prepare(stanza("dkim_check", options));
    FilterTx tx = FilterTestSupport.tx(message);
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    f.get().update(tx, FilterTestSupport.ALL, next);
    assertThat(next.deltas).containsExactly(FilterTestSupport.ALL); // never blocks
    assertThat(tx.mailResponse()).isNull();
    assertThat(tx.dataResponse()).isNull();
    return tx.filterOutput().get(DkimCheckFilter.KEY);
  }

  static String signed(String domain, String message, DkimSigner.Key... keys) throws Exception {
    DkimSigner s = new DkimSigner(domain, List.of(keys), Canon.RELAXED, Canon.RELAXED,
        DkimSigner.DEFAULT_HEADERS, DkimSigner.DEFAULT_OVERSIGN, null, SignVerifyTest.CLOCK);
    return SignVerifyTest.sign(s, message);
  }

  @Test
  void signalShape() throws Exception {
    String msg = signed("example.com", SignVerifyTest.MSG, SignVerifyTest.rsa(), SignVerifyTest.ed());
    JsonNode out = check(msg, SignVerifyTest.DNS, "");
    assertThat(out.get("header_from_domain").asText()).isEqualTo("example.com");
    JsonNode sigs = out.get("signatures");
    assertThat(sigs).hasSize(2);
    JsonNode first = sigs.get(0);
    assertThat(first.get("status").asText()).isEqualTo("dkim_pass");
    assertThat(first.get("domain").asText()).isEqualTo("example.com");
    assertThat(first.get("alignment").asText()).isEqualTo("domain");
    assertThat(first.get("selector").asText()).isEqualTo("rsa");
    assertThat(first.get("algorithm").asText()).isEqualTo("rsa-sha256");
    assertThat(first.get("headers").get(0).asText()).isEqualTo("from");
    assertThat(first.get("tags").get("t").asText()).isEqualTo(Long.toString(SignVerifyTest.NOW.getEpochSecond()));
    assertThat(first.get("tags").has("b")).isFalse();
    assertThat(first.has("reason")).isFalse();
    assertThat(sigs.get(1).get("algorithm").asText()).isEqualTo("ed25519-sha256");
    assertThat(out.has("not_verified")).isFalse();
  }

  @Test
  void alignmentAndFailures() throws Exception {
    DkimKeys.SigningKey ed = TestKeys.signing(TestKeys.ED25519);
    TestKeys.MapResolver dns = new TestKeys.MapResolver()
        .publish("ed", "mail.example.com", TestKeys.ED25519)
        .publish("ed", "esp.example.net", TestKeys.ED25519)
        .put("gone._domainkey.example.com", TxtResolver.Result.temp("timeout"));
    String msg = signed("mail.example.com", SignVerifyTest.MSG, new DkimSigner.Key("ed", ed));
    msg = signed("esp.example.net", msg, new DkimSigner.Key("ed", ed));
    msg = signed("example.com", msg, new DkimSigner.Key("gone", ed));
    msg = signed("example.com", msg, new DkimSigner.Key("missing", ed));
    JsonNode sigs = check(msg, dns, "max_signatures: 10").get("signatures");
    assertThat(sigs).extracting(s -> s.get("status").asText() + "/" + s.get("alignment").asText())
        .containsExactly("perm_err/domain", "temp_err/domain", "dkim_pass/other", "dkim_pass/same_sld");
    assertThat(sigs.get(0).get("reason").asText()).contains("no key record");

    JsonNode tampered = check(msg.replace("see you.", "see ya."), dns, "").get("signatures");
    assertThat(tampered.get(3).get("status").asText()).isEqualTo("fail");
    assertThat(tampered.get(3).get("reason").asText()).isEqualTo("body hash mismatch");
  }

  @Test
  void limitAndUnsignedAndUnreadable() throws Exception {
    String msg = SignVerifyTest.MSG;
    for (int i = 0; i < 3; i++) {
      msg = signed("example.com", msg, SignVerifyTest.ed());
    }
    JsonNode out = check(msg, SignVerifyTest.DNS, "max_signatures: 2");
    assertThat(out.get("signatures")).hasSize(2);
    assertThat(out.get("not_verified").asInt()).isEqualTo(1);

    assertThat(check(SignVerifyTest.MSG, SignVerifyTest.DNS, "").get("signatures")).isEmpty();

    var f = new DkimCheckFilter.Factory(SignVerifyTest.CLOCK, null, SignVerifyTest.DNS)
        .prepare(stanza("dkim_check", ""));
    FilterTx broken = new FilterTx("t", "s", "t");
    broken.body(new Body.Raw(FilterTestSupport.broken()));
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    f.get().update(broken, FilterTestSupport.BODY, next);
    assertThat(broken.filterOutput().get("dkim_check").get("error").asText()).contains("disk on fire");
    assertThat(next.deltas).hasSize(1);

    FilterTx builder = new FilterTx("t", "s", "t");
    builder.body(new Body.Builder(JsonNodeFactory.instance.objectNode(), Map.of()));
    f.get().update(builder, FilterTestSupport.BODY, next);
    assertThat(builder.filterOutput().get("dkim_check").get("signatures")).isEmpty();
  }

  @Test
  void options(@TempDir Path dir) throws Exception {
    var factory = new DkimCheckFilter.Factory(SignVerifyTest.CLOCK, dir);
    assertThatThrownBy(() -> factory.prepare(stanza("dkim_check", "resolver: 'a:b:c:d'")))
        .hasMessageStartingWith("router.yaml:8:").hasMessageContaining("resolver");
    assertThatThrownBy(() -> factory.prepare(stanza("dkim_check", "max_signatures: 0")))
        .hasMessageContaining("max_signatures");
    assertThatThrownBy(() -> factory.prepare(stanza("dkim_check", "public_suffix_list: nope.dat")))
        .hasMessageContaining("public_suffix_list").hasMessageContaining("nope.dat");
    Files.writeString(dir.resolve("psl.dat"), "com\nexample.com\n");
    assertThat(factory.prepare(stanza("dkim_check",
        "resolver: '127.0.0.1:5353'\ntimeout: 2\npublic_suffix_list: psl.dat")).get()).isNotNull();
    assertThat(DnsjavaTxtResolver.parseServer("[::1]:5353").getPort()).isEqualTo(5353);
    assertThat(DnsjavaTxtResolver.parseServer("127.0.0.1").getPort()).isEqualTo(53);
  }
}
