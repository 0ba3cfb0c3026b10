package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** MAIL/RCPT argument syntax (RFC 5321 §4.1.2, RFC 6531) and the reply each error gets. */
class PathParserTest {

  static Mailbox mail(String arg) throws ReplyException {
    return PathParser.parse(arg, PathParser.Role.SENDER);
  }

  static Mailbox rcpt(String arg) throws ReplyException {
    return PathParser.parse(arg, PathParser.Role.RECIPIENT);
  }

  static Reply error(PathParser.Role role, String arg) {
    try {
      PathParser.parse(arg, role);
    } catch (ReplyException e) {
      return e.reply();
    }
    throw new AssertionError("accepted: " + arg);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "a@example.com", "first.last@sub.example.com", "a+tag@example.com", "x!#$%&'*+-/=?^_`{|}~@e.x",
      "\"quoted local\"@example.com", "\"a\\\"b\"@example.com", "\"a@b\"@example.com", "\"x>y\"@example.com",
      "user@[192.0.2.1]", "user@[IPv6:2001:db8::1]", "user@[IPv6:::1]", "user@[IPv6:::ffff:192.0.2.1]",
      "user@[IPv6:1:2:3:4:5:6:7:8]", "user@localhost", "user@xn--bcher-kva.example"})
  void validAddresses(String addr) throws ReplyException {
    assertThat(mail("FROM:<" + addr + ">").address()).isEqualTo(addr);
    assertThat(rcpt("TO:<" + addr + ">").address()).isEqualTo(addr);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "a", "@example.com", "a@", "a..b@example.com", ".a@example.com", "a.@example.com", "a b@example.com",
      "a@-example.com", "a@example-.com", "a@exa_mple.com", "a@example..com", "a@example.com.",
      "a@[192.0.2.256]", "a@[192.0.2]", "a@[IPv6:2001:db8::1::2]", "a@[IPv6:12345::]", "a@[IPv6:1:2:3:4:5:6:7:8:9]",
      "a@[foo:bar]", "a@[1.2.3.4", "\"unterminated@example.com", "a\"b@example.com", "a@b@example.com"})
  void invalidAddresses(String addr) {
    Reply m = error(PathParser.Role.SENDER, "FROM:<" + addr + ">");
    Reply r = error(PathParser.Role.RECIPIENT, "TO:<" + addr + ">");
    assertThat(m.code() == 553 && m.lines().get(0).startsWith("5.1.7") || m.code() == 501 && m.lines().get(0).startsWith("5.5.4"))
        .as("MAIL %s -> %s", addr, m).isTrue();
    assertThat(r.code() == 501 && (r.lines().get(0).startsWith("5.1.3") || r.lines().get(0).startsWith("5.5.4")))
        .as("RCPT %s -> %s", addr, r).isTrue();
  }

  @Test
  void addressErrorsHaveTheirOwnCodes() {
    assertThat(error(PathParser.Role.SENDER, "FROM:<a..b@example.com>").toString()).startsWith("553 5.1.7 bad sender address");
    assertThat(error(PathParser.Role.RECIPIENT, "TO:<a..b@example.com>").toString()).startsWith("501 5.1.3 bad recipient address");
  }

  @Test
  void commandSyntaxErrors() {
    for (String bad : List.of("", "FROM", "FROM:", "FROM:a@b.c", "FROM:<a@b.c", "FROM<a@b.c>", "TO:<a@b.c>",
        "FROM:<a@b.c>junk", "FROM:<<a@b.c>>")) {
      assertThat(error(PathParser.Role.SENDER, bad).toString()).as(bad).startsWith("501 5.5.4");
    }
  }

  @Test
  void nullPathAndPostmaster() throws ReplyException {
    assertThat(mail("FROM:<>").address()).isEmpty();
    assertThat(error(PathParser.Role.RECIPIENT, "TO:<>").code()).isEqualTo(501);
    assertThat(rcpt("TO:<Postmaster>").address()).isEqualTo("Postmaster");
    assertThat(error(PathParser.Role.SENDER, "FROM:<postmaster>").code()).isEqualTo(553);
  }

  @Test
  void toleratesSpaceBeforeTheBracketAndCase() throws ReplyException {
    assertThat(mail("FROM: <a@example.com>").address()).isEqualTo("a@example.com");
    assertThat(mail("from:<a@example.com>").address()).isEqualTo("a@example.com");
    assertThat(rcpt("To:  <a@example.com>").address()).isEqualTo("a@example.com");
  }

  @Test
  void dropsSourceRoutes() throws ReplyException {
    assertThat(rcpt("TO:<@relay.example,@other.example:user@example.com>").address()).isEqualTo("user@example.com");
    assertThat(error(PathParser.Role.RECIPIENT, "TO:<@relay..example:user@example.com>").code()).isEqualTo(501);
  }

  @Test
  void lengthLimits() throws ReplyException {
    String local64 = "a".repeat(64);
    assertThat(mail("FROM:<" + local64 + "@example.com>").address()).startsWith(local64);
    assertThat(error(PathParser.Role.SENDER, "FROM:<" + local64 + "a@example.com>").toString()).contains("64 octets");
    String longDomain = ("d".repeat(60) + ".").repeat(4) + "com"; // 247 octets
    assertThat(error(PathParser.Role.RECIPIENT, "TO:<abcdefgh@" + longDomain + ">").toString()).contains("too long");
  }

  @Test
  void utf8IsParsedHereAndPolicedByTheCaller() throws ReplyException {
    Mailbox m = rcpt("TO:<用户@例子.广告>");
    assertThat(m.address()).isEqualTo("用户@例子.广告");
    assertThat(PathParser.ascii(m.address())).isFalse();
    assertThat(rcpt("TO:<\"ü x\"@example.com>").address()).isEqualTo("\"ü x\"@example.com");
  }

  @Test
  void parameters() throws ReplyException {
    Mailbox m = mail("FROM:<a@example.com> size=100 BODY=8BITMIME  SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<>");
    assertThat(m.params()).containsExactly(new EsmtpParam("SIZE", "100"), new EsmtpParam("BODY", "8BITMIME"),
        new EsmtpParam("SMTPUTF8", null), new EsmtpParam("RET", "HDRS"), new EsmtpParam("ENVID", "QQ314159"),
        new EsmtpParam("AUTH", "<>"));
    assertThat(rcpt("TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com").params())
        .containsExactly(new EsmtpParam("NOTIFY", "SUCCESS,FAILURE"), new EsmtpParam("ORCPT", "rfc822;b@example.com"));
    assertThat(error(PathParser.Role.SENDER, "FROM:<a@b.c> SIZE=1 size=2").toString()).contains("duplicate");
    assertThat(error(PathParser.Role.SENDER, "FROM:<a@b.c> =x").code()).isEqualTo(501);
    assertThat(error(PathParser.Role.SENDER, "FROM:<a@b.c> SIZE=").code()).isEqualTo(501);
    assertThat(error(PathParser.Role.SENDER, "FROM:<a@b.c> X=a=b").code()).isEqualTo(501);
    assertThat(error(PathParser.Role.SENDER, "FROM:<a@b.c> -X").code()).isEqualTo(501);
  }
}
