package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SMTP smuggling (SEC Consult, Dec 2023) over a real socket: each non-standard end-of-data
 * sequence is followed by a smuggled transaction and the real {@code <CRLF>.<CRLF>}, all in one
 * write. Whatever the policy, the smuggled MAIL never reaches the session, at most one message is
 * delivered, and the connection is still in step afterwards (NOOP and QUIT answered).
 */
class SmugglingTest extends ServerFixture {

  static Stream<Arguments> matrix() {
    return DataDecoderTest.smuggling().flatMap(seq -> Stream.of(
        Arguments.of(BareLfPolicy.REJECT, seq), Arguments.of(BareLfPolicy.NORMALIZE, seq)));
  }

  static String show(String seq) {
    return seq.replace("\r", "<CR>").replace("\n", "<LF>");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("matrix")
  void smuggledMessageNeverGetsThrough(BareLfPolicy policy, String seq) throws IOException {
    SmtpServer s = start(b -> b.bareLf(policy));
    TestClient c = ehlo(s);
    c.send("MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n");
    assertThat(c.read(3)).extracting(TestClient.Got::code).containsExactly(250, 250, 354);
    c.send("Subject: legit\r\n\r\nhello" + seq
        + "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
        + "From: ceo@example.com\r\nSubject: smuggled\r\n\r\npay now\r\n"
        + "\r\n.\r\nNOOP\r\n");
    TestClient.Got end = c.read();
    if (policy == BareLfPolicy.REJECT) {
      assertThat(end.code()).as(show(seq)).isEqualTo(554);
      assertThat(end.last()).startsWith("5.5.2 message refused: bare LF or bare CR");
      assertThat(rec.dataCalls).hasValue(0);
    } else {
      assertThat(end.code()).as(show(seq)).isEqualTo(250);
      assertThat(rec.messages).hasSize(1);
      assertThat(rec.messages.get(0).text()).startsWith("Subject: legit\r\n\r\nhello\r\n")
          .contains("MAIL FROM:<ceo@example.com>\r\n").endsWith("pay now\r\n\r\n");
    }
    assertThat(c.read().toString()).as("still in step").isEqualTo("250 2.0.0 ok");
    assertThat(c.cmd("QUIT").code()).isEqualTo(221);
    assertThat(rec.calls).filteredOn(x -> x.startsWith("mail")).containsExactly("mail alice@example.com");
    assertThat(rec.calls).doesNotContain("rcpt victim@example.com");
  }
}
