package net.koukan.spf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The examples of RFC 7208 §7.4. */
class MacroTest {
  static Macro.Context ctx(String ip) throws Exception {
    return new Macro.Context(InetAddress.getByName(ip), "strong-bad@email.example.com", "email.example.com",
        "mx.example.org", "rx.example.net", 1_700_000_000L, () -> "mx.example.org");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "%{s}|strong-bad@email.example.com",
      "%{o}|email.example.com",
      "%{d}|email.example.com",
      "%{d4}|email.example.com",
      "%{d3}|email.example.com",
      "%{d2}|example.com",
      "%{d1}|com",
      "%{dr}|com.example.email",
      "%{d2r}|example.email",
      "%{l}|strong-bad",
      "%{l-}|strong.bad",
      "%{lr}|strong-bad",
      "%{lr-}|bad.strong",
      "%{l1r-}|strong",
      "%{ir}.%{v}._spf.%{d2}|3.2.0.192.in-addr._spf.example.com",
      "%{lr-}.lp._spf.%{d2}|bad.strong.lp._spf.example.com",
      "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}|bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
      "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}|3.2.0.192.in-addr.strong.lp._spf.example.com",
      "%{d2}.trusted-domains.example.net|example.com.trusted-domains.example.net",
      "%{h}|mx.example.org",
      "%%%_%-|% %20",
      "%{S}|strong-bad%40email.example.com"})
  void rfcExamples(String macro, String expected) throws Exception {
    assertThat(Macro.expand(macro, ctx("192.0.2.3"), false, macro)).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  void ipv6IsNibbles() throws Exception {
    assertThat(Macro.expand("%{ir}.%{v}._spf.%{d2}", ctx("2001:db8::cb01"), false, "x"))
        .isEqualTo("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
  }

  @org.junit.jupiter.api.Test
  void explanationLetters() throws Exception {
    assertThat(Macro.expand("%{i} is not one of %{d}'s servers (%{c} via %{r} at %{t})", ctx("192.0.2.3"), true, "x"))
        .isEqualTo("192.0.2.3 is not one of email.example.com's servers (192.0.2.3 via rx.example.net at 1700000000)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"%", "%{", "%{x}", "%{d0}", "%{d1234}", "%{d?}", "%x", "%{c}", "a b"})
  void badSyntaxIsPermerror(String macro) {
    assertThatThrownBy(() -> Macro.expand(macro, ctx("192.0.2.3"), false, macro))
        .isInstanceOfSatisfying(SpfException.class, e -> assertThat(e.result).isEqualTo(SpfResult.PERMERROR));
  }
}
