package net.koukan.dsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DsnHelpersTest {

  @ParameterizedTest(name = "{0} ''{1}'' -> {2}")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "550 | 5.1.1 user unknown          | 5.1.1",
      "550 | 5.1.1                       | 5.1.1",
      "552 | '  5.2.2 mailbox full'       | 5.2.2",
      "450 | 4.7.1 greylisted            | 4.7.1",
      "451 | 4.4.7\ttab separated        | 4.4.7",
      "250 | 2.6.0 queued                | 2.6.0",
      "550 | 5.010.001 leading zeros     | 5.10.1",
      "550 | user unknown                | 5.0.0",
      "421 | service not available       | 4.0.0",
      "250 | ok                          | 2.0.0",
      "550 | NULL                        | 5.0.0",
      "550 | ''                          | 5.0.0",
      "550 | 5.1.1user glued             | 5.0.0",
      "550 | 5.1.1.1 four parts          | 5.0.0",
      "550 | 5.1234.1 too long           | 5.0.0",
      "550 | 3.1.1 bad class             | 5.0.0",
      "550 | x 5.1.1 not at start        | 5.0.0",
      "450 | 5.1.1 class disagrees       | 4.1.1",
      "554 | 4.4.7 class disagrees       | 5.4.7",
  })
  void statusForTakesTheEnhancedCodeOrDerivesItFromTheClass(int code, String message, String expected) {
    assertThat(Dsn.statusFor(code, message)).isEqualTo(expected);
    assertThat(DsnRecipient.STATUS.matcher(expected).matches()).isTrue();
  }

  @Test
  void statusForRejectsNonReplyCodes() {
    for (int code : new int[] {0, 199, 354, 600, -550}) {
      assertThatThrownBy(() -> Dsn.statusFor(code, "5.1.1 x")).as("%d", code)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void headerBlockStopsAtTheFirstEmptyLine() {
    assertThat(block("A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", 1000)).isEqualTo("A: 1\r\nB: 2\r\n");
    assertThat(block("A: 1\nB: 2\n\nbody\n", 1000)).isEqualTo("A: 1\nB: 2\n");
    assertThat(block("A: 1\r\n folded\r\n\r\n", 1000)).isEqualTo("A: 1\r\n folded\r\n");
    assertThat(block("\r\nbody", 1000)).isEmpty();
    assertThat(block("", 1000)).isEmpty();
  }

  @Test
  void headerBlockWithoutEmptyLineIsTheWholeInput() {
    assertThat(block("A: 1\r\nB: 2\r\n", 1000)).isEqualTo("A: 1\r\nB: 2\r\n");
    assertThat(block("A: 1\r\nB: 2", 1000)).isEqualTo("A: 1\r\nB: 2");
  }

  @Test
  void headerBlockIsCutAtALineBoundaryWithinMax() {
    String h = "A: 1\r\nB: 22\r\nC: 333\r\n\r\nbody";
    assertThat(block(h, 21)).isEqualTo("A: 1\r\nB: 22\r\nC: 333\r\n");
    assertThat(block(h, 20)).isEqualTo("A: 1\r\nB: 22\r\n");
    assertThat(block(h, 13)).isEqualTo("A: 1\r\nB: 22\r\n");
    assertThat(block(h, 12)).isEqualTo("A: 1\r\n");
    assertThat(block(h, 5)).isEmpty();
    assertThat(block(h, 0)).isEmpty();
    assertThat(block("A: " + "x".repeat(100) + "\r\n", 50)).isEmpty();
    assertThat(block("A: 1\r\nB: 2", 8)).isEqualTo("A: 1\r\n"); // never ends mid-line when cut
    assertThatThrownBy(() -> Dsn.headerBlock(new byte[0], -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void headerBlockOfAHugeMessageWithoutBlankLineOnlyScansWhatItNeeds() {
    byte[] huge = "H: v\r\n".repeat(2_000_000).getBytes(StandardCharsets.US_ASCII);
    assertThat(Dsn.headerBlock(huge, 64)).hasSize(60);
  }

  @Test
  void quotedPrintableRoundTripsAndStaysWithinLineLimits() throws Exception {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      byte[] raw = new byte[random.nextInt(600)];
      random.nextBytes(raw);
      // bias towards the interesting bytes: spaces, tabs, '=', line ends
      for (int i = 0; i < raw.length; i++) {
        switch (random.nextInt(8)) {
          case 0 -> raw[i] = ' ';
          case 1 -> raw[i] = '\t';
          case 2 -> raw[i] = '=';
          default -> { }
        }
      }
      byte[] text = Dsn.canonicalLines(raw);
      byte[] qp = Dsn.quotedPrintable(text);
      String encoded = new String(qp, StandardCharsets.US_ASCII);
      for (String line : encoded.split("\r\n", -1)) {
        assertThat(line.length()).isLessThanOrEqualTo(76);
        assertThat(line).doesNotEndWith(" ").doesNotEndWith("\t");
        assertThat(line.chars()).allMatch(c -> c >= 32 && c < 127 || c == '\t');
      }
      byte[] decoded = new QuotedPrintableInputStream(new ByteArrayInputStream(qp), DecodeMonitor.STRICT)
          .readAllBytes();
      assertThat(decoded).as("round %d", round).isEqualTo(text);
    }
  }

  @Test
  void canonicalLinesTurnsEveryLineEndIntoCrlf() {
    assertThat(new String(Dsn.canonicalLines("a\nb\rc\r\nd".getBytes(StandardCharsets.US_ASCII)),
        StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\nc\r\nd\r\n");
    assertThat(Dsn.canonicalLines(new byte[0])).isEmpty();
  }

  @Test
  void oneLineRemovesEveryLineBreakAndControl() {
    assertThat(Dsn.oneLine("  a\r\nb\n\nc\rd\te\u0000f\u007fg\u0085h\u2028i\u2029j\u202ek\u200bl\ud800m  ", 100))
        .isEqualTo("a b c d e f g h i j k l m");
    assertThat(Dsn.oneLine("abcdef", 3)).isEqualTo("abc...");
    assertThat(Dsn.oneLine("ab\uD83D\uDE00cd", 3)).isEqualTo("ab\uD83D\uDE00...");
    assertThat(Dsn.oneLine("\r\n", 10)).isEmpty();
  }

  @Test
  void fieldFoldsAtSpacesAndNeverExceeds998() {
    StringBuilder sb = new StringBuilder();
    Dsn.field(sb, "Diagnostic-Code", "smtp; 550 " + "word ".repeat(40) + "x".repeat(2500));
    String[] lines = sb.toString().split("\r\n");
    for (int i = 0; i < lines.length; i++) {
      assertThat(lines[i].length()).isLessThanOrEqualTo(998);
      if (i > 0) {
        assertThat(lines[i]).startsWith(" ").isNotBlank();
      }
    }
    assertThat(sb.toString()).endsWith("\r\n").doesNotContain("\r\n\r\n");
  }

  private static String block(String message, int max) {
    return new String(Dsn.headerBlock(message.getBytes(StandardCharsets.US_ASCII), max),
        StandardCharsets.US_ASCII);
  }
}
