package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeaderSelectionTest {

  private static List<HeaderField> header(String text) throws Exception {
    return MessageHeader.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 10_000);
  }

  @Test
  void readsFoldedFieldsAndStopsAtTheEmptyLine() throws Exception {
    var in = new ByteArrayInputStream("A: 1\r\nB: 2\r\n\t3\nC:4\r\n\r\nbody\r\n".getBytes(StandardCharsets.UTF_8));
    List<HeaderField> f = MessageHeader.read(in, 1000);
    assertThat(f).extracting(HeaderField::name).containsExactly("a", "b", "c");
    assertThat(f.get(1).toString()).isEqualTo("B: 2\r\n\t3");
    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("body\r\n");
  }

  @Test
  void headerWithoutEmptyLineOrColon() throws Exception {
    List<HeaderField> f = header("From x\r\nA: 1");
    assertThat(f).extracting(HeaderField::name).containsExactly(null, "a");
  }

  @Test
  void headerBlockIsBounded() {
    var in = new ByteArrayInputStream(("A: " + "x".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> MessageHeader.read(in, 100))
        .isInstanceOf(MessageHeader.TooLargeException.class);
  }

  @Test
  void selectsBottomUpAndOversignedNamesPickNothing() throws Exception {
    List<HeaderField> f = header("Received: r1\r\nTo: t1\r\nReceived: r2\r\nFrom: f\r\nTo: t2\r\n\r\n");
    List<HeaderField> s = HeaderSelection.select(f, List.of("to", "from", "to", "from", "received", "to"), null);
    assertThat(s).extracting(HeaderField::toString).containsExactly("To: t2", "From: f", "To: t1", "Received: r2");
  }

  @Test
  void theVerifiedSignatureIsNeverSelected() throws Exception {
    List<HeaderField> f = header("DKIM-Signature: one\r\nDKIM-Signature: two\r\nFrom: f\r\n\r\n");
    List<HeaderField> s = HeaderSelection.select(f, List.of("dkim-signature", "from"), f.get(1));
    assertThat(s).extracting(HeaderField::toString).containsExactly("DKIM-Signature: one", "From: f");
  }

  @Test
  void emptiesOnlyTheBValue() {
    String in = "DKIM-Signature: v=1; bh=abc=; b=XYZ\r\n\tPQR; d=x";
    assertThat(new String(HeaderSelection.withoutBValue(in.getBytes(StandardCharsets.US_ASCII)),
        StandardCharsets.US_ASCII)).isEqualTo("DKIM-Signature: v=1; bh=abc=; b=; d=x");
    String last = "DKIM-Signature: v=1; bh=abc=;\r\n\tb =XYZ\r\n\tPQR";
    assertThat(new String(HeaderSelection.withoutBValue(last.getBytes(StandardCharsets.US_ASCII)),
        StandardCharsets.US_ASCII)).isEqualTo("DKIM-Signature: v=1; bh=abc=;\r\n\tb =");
  }
}
