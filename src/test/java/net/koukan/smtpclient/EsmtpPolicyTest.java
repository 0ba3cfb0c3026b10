package net.koukan.smtpclient;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.koukan.smtpclient.EsmtpPolicy.Decision;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

/** Which MAIL/RCPT parameters go to a peer, from its capabilities, and what is answered locally. */
class EsmtpPolicyTest {
  static final String PEER = "192.0.2.1:25";

  static Capabilities caps(String... ext) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String e : ext) {
      int sp = e.indexOf(' ');
      m.put(sp < 0 ? e : e.substring(0, sp), sp < 0 ? "" : e.substring(sp + 1));
    }
    return new Capabilities(true, m);
  }

  static Mailbox mb(String addr, String... params) {
    return new Mailbox(addr, Arrays.stream(params).map(p -> {
      int eq = p.indexOf('=');
      return eq < 0 ? new EsmtpParam(p, null) : new EsmtpParam(p.substring(0, eq), p.substring(eq + 1));
    }).toList());
  }

  static String line(Decision d) {
    assertThat(d.refusal()).as("refused").isNull();
    return SmtpClient.mailLine(d.send());
  }

  static Decision mail(Mailbox m, Capabilities c) {
    return EsmtpPolicy.mail(m, c, PEER, -1, false, false);
  }

  @Test
  void sizeIsDroppedWithoutTheExtensionAndCheckedWithIt() {
    assertThat(line(mail(mb("a@x", "SIZE=5000"), caps()))).isEqualTo("MAIL FROM:<a@x>");
    assertThat(line(mail(mb("a@x", "SIZE=5000"), caps("SIZE 10000")))).isEqualTo("MAIL FROM:<a@x> SIZE=5000");
    assertThat(line(mail(mb("a@x", "SIZE=5000"), caps("SIZE")))).isEqualTo("MAIL FROM:<a@x> SIZE=5000");
    assertThat(mail(mb("a@x", "SIZE=5000"), caps("SIZE 4999")).refusal())
        .isEqualTo(new Response(552, "5.3.4 smtp_output: message size 5000 exceeds the limit of " + PEER + " (4999)"));
    // the real body length wins over the declared one, and is added when nothing was declared
    assertThat(line(EsmtpPolicy.mail(mb("a@x", "SIZE=10"), caps("SIZE 1000"), PEER, 700, false, false)))
        .isEqualTo("MAIL FROM:<a@x> SIZE=700");
    assertThat(line(EsmtpPolicy.mail(mb("a@x"), caps("SIZE 1000"), PEER, 700, false, false)))
        .isEqualTo("MAIL FROM:<a@x> SIZE=700");
    assertThat(EsmtpPolicy.mail(mb("a@x", "SIZE=10"), caps("SIZE 1000"), PEER, 1001, false, false)
        .refusal().code()).isEqualTo(552);
    assertThat(mail(mb("a@x", "SIZE=lots"), caps("SIZE 1000")).refusal().code()).isEqualTo(501);
  }

  @Test
  void eightBitMimeIsNeverDowngraded() {
    assertThat(mail(mb("a@x", "BODY=8BITMIME"), caps("SIZE")).refusal()).isEqualTo(new Response(554,
        "5.6.3 smtp_output: " + PEER + " does not support 8BITMIME (BODY=8BITMIME); not downconverting"));
    assertThat(line(mail(mb("a@x", "BODY=8bitmime"), caps("8BITMIME")))).isEqualTo("MAIL FROM:<a@x> BODY=8BITMIME");
    assertThat(line(mail(mb("a@x", "BODY=7BIT"), caps()))).isEqualTo("MAIL FROM:<a@x>");
    assertThat(line(mail(mb("a@x", "BODY=7BIT"), caps("8BITMIME")))).isEqualTo("MAIL FROM:<a@x> BODY=7BIT");
    assertThat(mail(mb("a@x", "BODY=BINARYMIME"), caps("BINARYMIME", "CHUNKING")).refusal().code()).isEqualTo(554);
    assertThat(line(EsmtpPolicy.mail(mb("a@x", "BODY=BINARYMIME"), caps("BINARYMIME", "CHUNKING"), PEER, -1,
        false, true))).isEqualTo("MAIL FROM:<a@x> BODY=BINARYMIME");
    assertThat(mail(mb("a@x", "BODY=9BIT"), caps("8BITMIME")).refusal().code()).isEqualTo(501);
  }

  @Test
  void smtpUtf8NeedsThePeerAndIsAddedWhenAnAddressNeedsIt() {
    Response refused = new Response(553, "5.6.7 smtp_output: " + PEER + " does not support SMTPUTF8");
    assertThat(mail(mb("jösé@example.com"), caps("8BITMIME")).refusal()).isEqualTo(refused);
    assertThat(mail(mb("a@x", "SMTPUTF8"), caps()).refusal()).isEqualTo(refused);
    assertThat(line(mail(mb("jösé@example.com"), caps("SMTPUTF8")))).isEqualTo("MAIL FROM:<jösé@example.com> SMTPUTF8");
    assertThat(line(mail(mb("a@x", "SMTPUTF8"), caps("SMTPUTF8")))).isEqualTo("MAIL FROM:<a@x> SMTPUTF8");
    // an ASCII sender with a non-ASCII recipient: SMTPUTF8 when offered, nothing refused at MAIL
    assertThat(line(EsmtpPolicy.mail(mb("a@x"), caps("SMTPUTF8"), PEER, -1, true, false)))
        .isEqualTo("MAIL FROM:<a@x> SMTPUTF8");
    assertThat(line(EsmtpPolicy.mail(mb("a@x"), caps(), PEER, -1, true, false))).isEqualTo("MAIL FROM:<a@x>");
    // recipients
    assertThat(EsmtpPolicy.rcpt(mb("ü@x"), caps(), PEER, false).refusal()).isEqualTo(refused);
    assertThat(EsmtpPolicy.rcpt(mb("ü@x"), caps("SMTPUTF8"), PEER, false).refusal().message())
        .isEqualTo("5.6.7 smtp_output: non-ASCII recipient in a transaction started without SMTPUTF8");
    assertThat(SmtpClient.rcptLine(EsmtpPolicy.rcpt(mb("ü@x"), caps("SMTPUTF8"), PEER, true).send()))
        .isEqualTo("RCPT TO:<ü@x>");
  }

  @Test
  void dsnAndAuthAreDroppedOthersRefusedUnlessAdvertised() {
    assertThat(line(mail(mb("a@x", "RET=HDRS", "ENVID=abc", "AUTH=<>"), caps()))).isEqualTo("MAIL FROM:<a@x>");
    assertThat(line(mail(mb("a@x", "RET=HDRS", "ENVID=abc", "AUTH=<>"), caps("DSN", "AUTH PLAIN"))))
        .isEqualTo("MAIL FROM:<a@x> RET=HDRS ENVID=abc AUTH=<>");
    assertThat(mail(mb("a@x", "MT-PRIORITY=3"), caps("DSN")).refusal()).isEqualTo(new Response(555,
        "5.5.4 smtp_output: " + PEER + " does not support the MAIL parameter MT-PRIORITY"));
    assertThat(line(mail(mb("a@x", "MT-PRIORITY=3"), caps("MT-PRIORITY MIXER")))).isEqualTo("MAIL FROM:<a@x> MT-PRIORITY=3");
    assertThat(mail(mb("a@x", "REQUIRETLS"), caps()).refusal().code()).isEqualTo(555);

    Decision r = EsmtpPolicy.rcpt(mb("b@y", "NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;b@y"), caps(), PEER, false);
    assertThat(SmtpClient.rcptLine(r.send())).isEqualTo("RCPT TO:<b@y>");
    r = EsmtpPolicy.rcpt(mb("b@y", "NOTIFY=NEVER", "ORCPT=rfc822;b@y"), caps("DSN"), PEER, false);
    assertThat(SmtpClient.rcptLine(r.send())).isEqualTo("RCPT TO:<b@y> NOTIFY=NEVER ORCPT=rfc822;b@y");
    assertThat(EsmtpPolicy.rcpt(mb("b@y", "XFOO=1"), caps("DSN"), PEER, false).refusal()).isEqualTo(new Response(555,
        "5.5.4 smtp_output: " + PEER + " does not support the RCPT parameter XFOO"));
  }

  @Test
  void nothingThatCouldSplitACommandReachesTheWire() {
    assertThat(mail(mb("a@x>\r\nRCPT TO:<evil@y"), caps()).refusal())
        .isEqualTo(new Response(501, "5.1.7 smtp_output: invalid sender address"));
    assertThat(EsmtpPolicy.rcpt(mb("b@y\r\nDATA"), caps(), PEER, false).refusal())
        .isEqualTo(new Response(501, "5.1.3 smtp_output: invalid recipient address"));
    assertThat(EsmtpPolicy.rcpt(mb(""), caps(), PEER, false).refusal().code()).isEqualTo(501);
    assertThat(line(mail(mb(""), caps()))).isEqualTo("MAIL FROM:<>");
    for (String bad : List.of("ENVID=a b", "ENVID=a\r\nQUIT", "ENVID=", "RET=x=y", "BAD_KEY=1", "RET=1")) {
      Mailbox m = bad.equals("RET=1") ? mb("a@x", "RET=1", "ret=2") : mb("a@x", bad);
      assertThat(mail(m, caps("DSN")).refusal()).as(bad).isNotNull()
          .extracting(Response::code).isEqualTo(501);
    }
  }

  @Test
  void bodyCheckedAgainstTheLimitAtDataTime() {
    assertThat(EsmtpPolicy.bodySize(caps("SIZE 100"), PEER, 100)).isNull();
    assertThat(EsmtpPolicy.bodySize(caps("SIZE 100"), PEER, 101).code()).isEqualTo(552);
    assertThat(EsmtpPolicy.bodySize(caps("SIZE"), PEER, Long.MAX_VALUE)).isNull();
    assertThat(EsmtpPolicy.bodySize(caps(), PEER, Long.MAX_VALUE)).isNull();
  }
}
