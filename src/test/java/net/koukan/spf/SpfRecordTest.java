package net.koukan.spf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpfRecordTest {
  @Test
  void parsesEveryMechanismAndModifier() throws Exception {
    SpfRecord r = SpfRecord.parse("v=spf1 +a -mx:mx.example.com/24//64 ~ptr ?ip4:192.0.2.0/24 ip6:2001:db8::/32 "
        + "include:_spf.example.net exists:%{i}.rbl.example.org a:%{d2}/28 redirect=_spf.example.com "
        + "exp=explain.example.com unknown-mod=x -all");
    assertThat(r.directives()).hasSize(9);
    assertThat(r.directives().get(0)).isEqualTo(new SpfRecord.Directive(SpfRecord.Qualifier.PASS, new SpfRecord.A(null, 32, 128)));
    assertThat(r.directives().get(1)).isEqualTo(new SpfRecord.Directive(SpfRecord.Qualifier.FAIL,
        new SpfRecord.Mx("mx.example.com", 24, 64)));
    assertThat(r.directives().get(2).qualifier()).isEqualTo(SpfRecord.Qualifier.SOFTFAIL);
    assertThat(r.directives().get(3).mechanism()).isInstanceOf(SpfRecord.Ip.class);
    assertThat(((SpfRecord.Ip) r.directives().get(3).mechanism()).prefix()).isEqualTo(24);
    assertThat(r.directives().get(7).mechanism()).isEqualTo(new SpfRecord.A("%{d2}", 28, 128));
    assertThat(r.redirect()).isEqualTo("_spf.example.com");
    assertThat(r.exp()).isEqualTo("explain.example.com");
    assertThat(r.directives().get(8).mechanism()).isInstanceOf(SpfRecord.All.class);
  }

  @Test
  void versionMustBeFollowedBySpaceOrEnd() {
    assertThat(SpfRecord.isSpf("v=spf1")).isTrue();
    assertThat(SpfRecord.isSpf("V=SPF1 -all")).isTrue();
    assertThat(SpfRecord.isSpf("v=spf10 -all")).isFalse();
    assertThat(SpfRecord.isSpf("v=spf1-all")).isFalse();
    assertThat(SpfRecord.isSpf("spf2.0/pra -all")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"v=spf1 foo", "v=spf1 ip4:192.0.2.0/33", "v=spf1 ip6:::1/129", "v=spf1 ip4:2001:db8::1",
      "v=spf1 ip4:300.1.1.1", "v=spf1 include", "v=spf1 include:", "v=spf1 a:example.123", "v=spf1 all:x",
      "v=spf1 redirect=a.example redirect=b.example", "v=spf1 -redirect=a.example", "v=spf1 a/0033",
      "v=spf1 exists:%{z}.example.com", "v=spf1 mx:example.com/24//129", "v=spf1 \u00e9"})
  void syntaxErrorsArePermerror(String txt) {
    assertThatThrownBy(() -> SpfRecord.parse(txt))
        .isInstanceOfSatisfying(SpfException.class, e -> assertThat(e.result).isEqualTo(SpfResult.PERMERROR));
  }
}
