package net.koukan.dkim;

import static net.koukan.dkim.FilterTestSupport.stanza;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import net.koukan.config.ConfigException;
import net.koukan.filter.Body;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DkimSignFilterTest {
  @TempDir
  Path dir;
  DkimSignFilter.Factory factory;

  @BeforeEach
  void keys() throws Exception {
    Files.createDirectories(dir.resolve("keys"));
    Files.writeString(dir.resolve("keys/rsa.key"), DkimKeys.toPem(TestKeys.RSA.getPrivate()));
    Files.writeString(dir.resolve("keys/ed.key"), DkimKeys.toPem(TestKeys.ED25519.getPrivate()));
    factory = new DkimSignFilter.Factory(SignVerifyTest.CLOCK, dir);
  }

  @Test
  void signsAndPrependsBeforeTheRestOfTheChain() throws Exception {
    Supplier<Filter> s = factory.prepare(stanza("dkim_sign", """
        domain: example.com
        keys:
        - {selector: rsa, key: keys/rsa.key}
        - {selector: ed, key: keys/ed.key}
        expiration: 86400
        """));
    FilterTx tx = FilterTestSupport.tx(SignVerifyTest.MSG);
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    s.get().update(tx, FilterTestSupport.ALL, next);
    assertThat(next.deltas).containsExactly(FilterTestSupport.ALL);
    assertThat(tx.dataResponse()).isNull();
    String out = new String(next.bodies.get(0), StandardCharsets.UTF_8);
    assertThat(out).startsWith("DKIM-Signature: v=1; a=rsa-sha256;").endsWith(SignVerifyTest.MSG);
    assertThat(out.indexOf("DKIM-Signature: v=1; a=ed25519-sha256;")).isPositive();
    assertThat(((Body.Raw) tx.body()).blob().length()).isEqualTo(next.bodies.get(0).length);
    DkimVerifier.Outcome o = new DkimVerifier(SignVerifyTest.DNS, SignVerifyTest.CLOCK, 10, Duration.ofSeconds(1))
        .verify(new ByteArrayInputStream(next.bodies.get(0)));
    assertThat(o.signatures()).extracting(DkimVerifier.SignatureResult::status)
        .containsExactly(DkimVerifier.Status.DKIM_PASS, DkimVerifier.Status.DKIM_PASS);
    assertThat(o.signatures().get(0).tags()).containsKey("x");
  }

  @Test
  void singleKeyWithOptions() throws Exception {
    Supplier<Filter> s = factory.prepare(stanza("dkim_sign", """
        domain: Example.COM
        selector: ed
        key: keys/ed.key
        canonicalization: simple
        headers: [From, Subject]
        oversign: []
        """));
    FilterTx tx = FilterTestSupport.tx(SignVerifyTest.MSG);
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    s.get().update(tx, FilterTestSupport.BODY, next);
    String out = new String(next.bodies.get(0), StandardCharsets.UTF_8);
    Map<String, String> tags = TagList.parse(out.substring(15, out.indexOf("\r\nFrom:")));
    assertThat(tags).containsEntry("c", "simple/simple").containsEntry("d", "example.com")
        .containsEntry("a", "ed25519-sha256").containsEntry("h", "from:subject");
  }

  @Test
  void noKeyDisablesTheFilter() {
    assertThat(factory.prepare(stanza("dkim_sign", "domain: example.com")).get()).isNull();
    assertThat(factory.prepare(stanza("dkim_sign", "")).get()).isNull();
  }

  @Test
  void configErrorsCarryFileAndLine() {
    record Case(String yaml, String key, String problem) {}
    for (Case c : List.of(
        new Case("selector: s\nkey: keys/missing.key\ndomain: example.com", "key", "cannot read key"),
        new Case("selector: s\nkey: keys/rsa.key", "domain", "required"),
        new Case("domain: example.com\nkey: keys/rsa.key", "key", "needs a selector"),
        new Case("domain: example.com\nselector: 'a b'\nkey: keys/rsa.key", "selector", "not a valid selector"),
        new Case("domain: example.com\nselector: s\nkey: keys/rsa.key\nkeys: []", "keys", "not both"),
        new Case("domain: example.com\nselector: s\nkey: keys/rsa.key\ncanonicalization: loose", "canonicalization", "simple or relaxed"),
        new Case("domain: example.com\nselector: s\nkey: keys/rsa.key\nheaders: [to]", "headers", "From"),
        new Case("domain: example.com\nselector: s\nkey: keys/rsa.key\nexpiration: 0", "expiration", "at least"),
        new Case("domain: example.com\nkeys: [{selector: s}]", "keys", "key"),
        new Case("domain: example.com\nselector: s\nkey: keys/rsa.key\nbogus: 1", "bogus", "unknown"))) {
      assertThatThrownBy(() -> factory.prepare(stanza("dkim_sign", c.yaml())))
          .as(c.yaml()).isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("router.yaml:")
          .hasMessageContaining(c.key()).hasMessageContaining(c.problem());
    }
    ConfigException e = (ConfigException) org.assertj.core.api.Assertions.catchThrowable(() ->
        factory.prepare(stanza("dkim_sign", "domain: example.com\nselector: s\nkey: keys/nope.key")));
    assertThat(e.line()).isEqualTo(10); // the key: line
  }

  @Test
  void badKeyFiles() throws Exception {
    Files.writeString(dir.resolve("keys/bad.key"), "not a key");
    assertThatThrownBy(() -> factory.prepare(stanza("dkim_sign",
        "domain: example.com\nselector: s\nkey: keys/bad.key"))).hasMessageContaining("bad key");
  }

  @Test
  void signingFailureIsTemporaryAndNothingGoesOnUnsigned() {
    Supplier<Filter> s = factory.prepare(stanza("dkim_sign",
        "domain: example.com\nselector: rsa\nkey: keys/rsa.key"));
    FilterTx tx = new FilterTx("tx2", "sender", "tag");
    tx.mailFrom(net.koukan.tx.Mailbox.of("a@example.com"));
    tx.addRcpt(net.koukan.tx.Mailbox.of("b@example.net"));
    tx.body(new Body.Raw(FilterTestSupport.broken()));
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    s.get().update(tx, FilterTestSupport.ALL, next);
    assertThat(next.deltas).isEmpty();
    assertThat(tx.dataResponse()).isEqualTo(new Response(451, "4.3.0 dkim_sign: signing failed"));
    assertThat(tx.mailResponse().code()).isEqualTo(451);

    FilterTx builder = new FilterTx("tx3", "sender", "tag");
    builder.body(new Body.Builder(JsonNodeFactory.instance.objectNode(), Map.of()));
    s.get().update(builder, FilterTestSupport.BODY, next);
    assertThat(builder.dataResponse().code()).isEqualTo(451);
    assertThat(next.deltas).isEmpty();
  }

  @Test
  void passesEnvelopeUpdatesThroughUntouched() {
    Supplier<Filter> s = factory.prepare(stanza("dkim_sign",
        "domain: example.com\nselector: rsa\nkey: keys/rsa.key"));
    FilterTx tx = new FilterTx("tx4", "sender", "tag");
    tx.mailFrom(net.koukan.tx.Mailbox.of("a@example.com"));
    FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
    var delta = new net.koukan.filter.Delta(true, List.of(), false);
    s.get().update(tx, delta, next);
    assertThat(next.deltas).containsExactly(delta);
  }
}
