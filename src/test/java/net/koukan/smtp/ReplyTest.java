package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;

/** Reply framing and the mapping of application responses to replies. */
class ReplyTest {

  static String wire(Reply r) {
    return new String(r.encode(), StandardCharsets.US_ASCII);
  }

  @Test
  void multilineFraming() {
    assertThat(wire(new Reply(250, List.of("host", "PIPELINING", "SIZE 10")))).isEqualTo("250-host\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
    assertThat(wire(Reply.of(501, "5.5.4", "syntax"))).isEqualTo("501 5.5.4 syntax\r\n");
    assertThat(wire(Reply.plain(334, ""))).isEqualTo("334 \r\n");
  }

  @Test
  void applicationResponsesGetEnhancedCodes() {
    assertThat(wire(Reply.fromResponse(new Response(250, "ok"), "1.5"))).isEqualTo("250 2.1.5 ok\r\n");
    assertThat(wire(Reply.fromResponse(new Response(550, "5.7.1 no relay"), "1.5"))).isEqualTo("550 5.7.1 no relay\r\n");
    assertThat(wire(Reply.fromResponse(new Response(451, "5.7.1 class mismatch"), "0.0"))).isEqualTo("451 4.7.1 class mismatch\r\n");
    assertThat(wire(Reply.fromResponse(new Response(450, "4.2.0 one\ntwo"), "0.0"))).isEqualTo("450-4.2.0 one\r\n450 4.2.0 two\r\n");
    assertThat(wire(Reply.fromResponse(new Response(250, ""), "0.0"))).isEqualTo("250 2.0.0\r\n");
  }

  @Test
  void oddCodesBecomeInternalErrors() {
    assertThat(Reply.fromResponse(new Response(600, "boom"), "0.0").code()).isEqualTo(451);
    assertThat(Reply.fromResponse(new Response(354, "go"), "0.0").toString()).startsWith("451 4.3.0");
  }

  @Test
  void textCannotBreakTheFraming() {
    String w = wire(Reply.of(550, "5.0.0", "a\r\n250 ok\u00e9" + "x".repeat(600)));
    assertThat(w).startsWith("550 5.0.0 a??250 ok?x").endsWith("\r\n");
    assertThat(w.length()).isLessThanOrEqualTo(512);
    assertThat(w.indexOf('\n')).isEqualTo(w.length() - 1);
  }
}
