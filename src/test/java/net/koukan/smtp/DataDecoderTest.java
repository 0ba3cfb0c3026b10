package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * The DATA state machine byte for byte: end detection, dot-unstuffing, bare LF/CR under both
 * policies, the smuggling sequences, line and size limits. Every case is decoded whole, one byte
 * at a time and in 3-byte pieces, so state carried across reads is covered too.
 */
class DataDecoderTest {

  /** What decoding produced: stored text, problem, and the bytes left after the end. */
  record Out(String stored, Content.Problem problem, String rest, boolean done) {}

  static Out decode(String wire, BareLfPolicy policy, int maxLine, long maxSize, int piece) throws IOException {
    byte[] b = wire.getBytes(StandardCharsets.ISO_8859_1);
    Spool spool = new Spool(1 << 20, null);
    Content c = new Content(maxSize, spool);
    DataDecoder d = new DataDecoder(policy, maxLine, c);
    int off = 0;
    while (off < b.length && !d.done()) {
      int n = Math.min(piece, b.length - off);
      int used = d.feed(b, off, n);
      off += used;
      if (used < n) {
        break;
      }
    }
    spool.finish();
    String stored;
    try (InputStream in = spool.open()) {
      stored = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
    spool.close();
    if (c.problem() != null) {
      stored = null; // refused content is never delivered; what got spooled before is irrelevant
    }
    return new Out(stored, c.problem(), new String(b, off, b.length - off, StandardCharsets.ISO_8859_1), d.done());
  }

  /** Decodes in the three ways and checks they agree. */
  static Out decode(String wire, BareLfPolicy policy) throws IOException {
    return decode(wire, policy, 1000, 1 << 20);
  }

  static Out decode(String wire, BareLfPolicy policy, int maxLine, long maxSize) throws IOException {
    Out whole = decode(wire, policy, maxLine, maxSize, Integer.MAX_VALUE);
    assertThat(decode(wire, policy, maxLine, maxSize, 1)).isEqualTo(whole);
    assertThat(decode(wire, policy, maxLine, maxSize, 3)).isEqualTo(whole);
    return whole;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void unstuffsExactly(String wire, String stored, String rest) throws IOException {
    for (BareLfPolicy p : BareLfPolicy.values()) {
      Out o = decode(wire, p);
      assertThat(o.done()).isTrue();
      assertThat(o.problem()).isNull();
      assertThat(o.stored()).isEqualTo(stored);
      assertThat(o.rest()).isEqualTo(rest);
    }
  }

  static Stream<Arguments> unstuffsExactly() {
    return Stream.of(
        Arguments.of("hello\r\n.\r\n", "hello\r\n", ""),
        Arguments.of(".\r\n", "", ""),
        Arguments.of("\r\n.\r\n", "\r\n", ""),
        Arguments.of("..\r\n.\r\n", ".\r\n", ""),
        Arguments.of("...\r\n.\r\n", "..\r\n", ""),
        Arguments.of("a\r\n.b\r\n..c\r\n.\r\n", "a\r\nb\r\n.c\r\n", ""),
        Arguments.of("a.\r\n.\r\n", "a.\r\n", ""),
        Arguments.of("a\r\n. \r\n.\r\n", "a\r\n \r\n", ""),
        Arguments.of("x\r\n.\r\nQUIT\r\n", "x\r\n", "QUIT\r\n"),
        Arguments.of("x\r\n.\r\n.\r\n", "x\r\n", ".\r\n"),
        Arguments.of("bin\u0000\u00ff\r\n.\r\n", "bin\u0000\u00ff\r\n", ""));
  }

  @Test
  void waitsForTheEnd() throws IOException {
    Out o = decode("a\r\nb\r\n.", BareLfPolicy.REJECT);
    assertThat(o.done()).isFalse();
    assertThat(o.stored()).isEqualTo("a\r\nb\r\n");
  }

  /** The SEC Consult / Postfix smuggling sequences and friends. */
  static Stream<String> smuggling() {
    return Stream.of("\n.\n", "\n.\r\n", "\r.\r", "\r\n.\n", "\r\n.\r", "\r.\n", "\r.\r\n",
        "\n.\r", "\r\n.\r\r\n", "\r\n.\n\r\n", "\n\n.\n\n", "\r\r\n.\r\r\n", "\r\n\n.\r\n");
  }

  static String smuggle(String seq) {
    return "Subject: hi\r\n\r\nhello" + seq
        + "MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
        + "From: ceo@example.com\r\n\r\nsmuggled\r\n"
        + "\r\n.\r\n" + "QUIT\r\n";
  }

  @ParameterizedTest
  @MethodSource("smuggling")
  void smugglingSequencesNeverEndTheMessage_reject(String seq) throws IOException {
    Out o = decode(smuggle(seq), BareLfPolicy.REJECT);
    assertThat(o.done()).isTrue();
    assertThat(o.problem()).isEqualTo(Content.Problem.BARE_LF);
    assertThat(o.rest()).isEqualTo("QUIT\r\n");
  }

  @ParameterizedTest
  @MethodSource("smuggling")
  void smugglingSequencesNeverEndTheMessage_normalize(String seq) throws IOException {
    Out o = decode(smuggle(seq), BareLfPolicy.NORMALIZE);
    assertThat(o.done()).isTrue();
    assertThat(o.problem()).isNull();
    assertThat(o.rest()).isEqualTo("QUIT\r\n");
    // one message holding everything, with only CRLF line ends
    assertThat(o.stored()).startsWith("Subject: hi\r\n\r\nhello").contains("MAIL FROM:<evil@attacker.example>")
        .endsWith("smuggled\r\n\r\n");
    assertThat(o.stored().replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
  }

  @Test
  void normalizeConvertsLikePostfix() throws IOException {
    assertThat(decode("a\nb\r\n.\r\n", BareLfPolicy.NORMALIZE).stored()).isEqualTo("a\r\nb\r\n");
    assertThat(decode("a\rb\r\n.\r\n", BareLfPolicy.NORMALIZE).stored()).isEqualTo("a\r\nb\r\n");
    // a dot after a bare LF is stuffing: dropped; the "." line becomes empty, not the end
    assertThat(decode("a\n..b\n.\nc\r\n.\r\n", BareLfPolicy.NORMALIZE).stored()).isEqualTo("a\r\n.b\r\n\r\nc\r\n");
    // <CRLF>.<LF> is not the end either
    assertThat(decode("a\r\n.\nb\r\n.\r\n", BareLfPolicy.NORMALIZE).stored()).isEqualTo("a\r\n\r\nb\r\n");
  }

  @Test
  void rejectFlagsAnyBareLfOrCr() throws IOException {
    assertThat(decode("a\nb\r\n.\r\n", BareLfPolicy.REJECT).problem()).isEqualTo(Content.Problem.BARE_LF);
    assertThat(decode("a\rb\r\n.\r\n", BareLfPolicy.REJECT).problem()).isEqualTo(Content.Problem.BARE_LF);
    assertThat(decode("\n.\r\n", BareLfPolicy.REJECT).problem()).isEqualTo(Content.Problem.BARE_LF);
    // the end of the content is still found, so the next command is in step
    assertThat(decode("a\nb\r\n.\r\nRSET\r\n", BareLfPolicy.REJECT).rest()).isEqualTo("RSET\r\n");
  }

  @Test
  void lineLengthCountsCrlfButNotTheStuffingDot() throws IOException {
    String ok = "x".repeat(998);
    assertThat(decode(ok + "\r\n.\r\n", BareLfPolicy.REJECT).problem()).isNull();
    assertThat(decode("." + ok + "\r\n.\r\n", BareLfPolicy.REJECT).problem()).isNull();
    Out o = decode(ok + "x\r\nnext\r\n.\r\n", BareLfPolicy.REJECT);
    assertThat(o.problem()).isEqualTo(Content.Problem.LINE_TOO_LONG);
    assertThat(o.rest()).isEmpty();
    assertThat(decode(ok + "x\r\n.\r\n", BareLfPolicy.REJECT, 0, 1 << 20).problem()).isNull();
  }

  @Test
  void sizeLimitCountsDecodedBytes() throws IOException {
    assertThat(decode("12345678\r\n.\r\n", BareLfPolicy.REJECT, 1000, 10).problem()).isNull();
    Out o = decode("123456789\r\n..\r\n.\r\nNOOP\r\n", BareLfPolicy.REJECT, 1000, 10);
    assertThat(o.problem()).isEqualTo(Content.Problem.TOO_BIG);
    assertThat(o.rest()).isEqualTo("NOOP\r\n");
  }

  @Test
  void bareLfOutranksSize() throws IOException {
    assertThat(decode("12345\n678901234\r\n.\r\n", BareLfPolicy.REJECT, 1000, 10).problem())
        .isEqualTo(Content.Problem.BARE_LF);
  }

  @Test
  void bdatDecoderKeepsCrlfAcrossChunks() throws IOException {
    for (BareLfPolicy p : BareLfPolicy.values()) {
      Spool s = new Spool(1024, null);
      BdatDecoder d = new BdatDecoder(p, false, new Content(1 << 20, s));
      byte[] a = "line1\r".getBytes(StandardCharsets.US_ASCII);
      byte[] b = "\nline2\r\n".getBytes(StandardCharsets.US_ASCII);
      d.feed(a, 0, a.length);
      d.feed(b, 0, b.length);
      d.finish();
      s.finish();
      assertThat(d.content().problem()).isNull();
      assertThat(new String(s.open().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("line1\r\nline2\r\n");
    }
  }

  @Test
  void bdatDecoderAppliesThePolicyUnlessBinary() throws IOException {
    byte[] wire = "a\nb\rc\r".getBytes(StandardCharsets.US_ASCII);
    Spool s1 = new Spool(1024, null);
    BdatDecoder rej = new BdatDecoder(BareLfPolicy.REJECT, false, new Content(1 << 20, s1));
    rej.feed(wire, 0, wire.length);
    rej.finish();
    assertThat(rej.content().problem()).isEqualTo(Content.Problem.BARE_LF);

    Spool s2 = new Spool(1024, null);
    BdatDecoder norm = new BdatDecoder(BareLfPolicy.NORMALIZE, false, new Content(1 << 20, s2));
    norm.feed(wire, 0, wire.length);
    norm.finish();
    s2.finish();
    assertThat(new String(s2.open().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\nc\r\n");

    Spool s3 = new Spool(1024, null);
    BdatDecoder bin = new BdatDecoder(BareLfPolicy.REJECT, true, new Content(1 << 20, s3));
    bin.feed(wire, 0, wire.length);
    bin.finish();
    s3.finish();
    assertThat(bin.content().problem()).isNull();
    assertThat(s3.open().readAllBytes()).isEqualTo(wire);
  }

  @Test
  void spoolGoesToDiskAboveThresholdAndDeletesOnClose(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws IOException {
    Spool s = new Spool(16, dir);
    byte[] b = "0123456789".getBytes(StandardCharsets.US_ASCII);
    s.write(b, 0, 10);
    assertThat(s.onDisk()).isFalse();
    s.write(b, 0, 10);
    assertThat(s.onDisk()).isTrue();
    s.finish();
    ByteArrayOutputStream twice = new ByteArrayOutputStream();
    try (InputStream in = s.open()) {
      in.transferTo(twice);
    }
    try (InputStream in = s.open()) {
      in.transferTo(twice);
    }
    assertThat(twice.toString(StandardCharsets.US_ASCII)).isEqualTo("01234567890123456789".repeat(2));
    assertThat(s.size()).isEqualTo(20);
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files.count()).isEqualTo(1);
    }
    s.close();
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files.count()).isZero();
    }
  }
}
