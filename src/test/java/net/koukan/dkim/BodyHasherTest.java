package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Canonicalization: RFC 6376 §3.4.6 examples, edge cases, and streaming vs a whole-body reference. */
class BodyHasherTest {

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  private static byte[] hash(Canon c, byte[] body) {
    BodyHasher h = new BodyHasher(c);
    h.update(body);
    return h.finish();
  }

  @Test
  void rfc6376Example() throws Exception {
    byte[] body = ascii(" C \r\nD \t E\r\n\r\n\r\n");
    assertThat(hash(Canon.RELAXED, body)).isEqualTo(sha256(ascii(" C\r\nD E\r\n")));
    assertThat(hash(Canon.SIMPLE, body)).isEqualTo(sha256(ascii(" C \r\nD \t E\r\n")));
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    Canon.RELAXED.header(ascii("A: X"), true, h);
    Canon.RELAXED.header(ascii("B : Y\t\r\n\tZ  "), true, h);
    assertThat(h.toString(StandardCharsets.ISO_8859_1)).isEqualTo("a:X\r\nb:Y Z\r\n");
    h.reset();
    Canon.SIMPLE.header(ascii("B : Y\t\r\n\tZ  "), true, h);
    assertThat(h.toString(StandardCharsets.ISO_8859_1)).isEqualTo("B : Y\t\r\n\tZ  \r\n");
  }

  @Test
  void emptyBodies() {
    // well-known values: simple hashes "\r\n", relaxed hashes nothing
    assertThat(b64(hash(Canon.SIMPLE, new byte[0]))).isEqualTo("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    assertThat(b64(hash(Canon.RELAXED, new byte[0]))).isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assertThat(hash(Canon.SIMPLE, ascii("\r\n\r\n"))).isEqualTo(hash(Canon.SIMPLE, new byte[0]));
    assertThat(hash(Canon.RELAXED, ascii(" \r\n\t\r\n"))).isEqualTo(hash(Canon.RELAXED, new byte[0]));
  }

  @Test
  void missingFinalLineBreakIsAdded() throws Exception {
    assertThat(hash(Canon.SIMPLE, ascii("abc"))).isEqualTo(sha256(ascii("abc\r\n")));
    assertThat(hash(Canon.RELAXED, ascii("abc  "))).isEqualTo(sha256(ascii("abc\r\n")));
  }

  @Test
  void bareLfIsALineEndAndLoneCrIsData() throws Exception {
    assertThat(hash(Canon.SIMPLE, ascii("a\nb\n\n"))).isEqualTo(sha256(ascii("a\r\nb\r\n")));
    assertThat(hash(Canon.SIMPLE, ascii("a\rb\r\n"))).isEqualTo(sha256(ascii("a\rb\r\n")));
    assertThat(hash(Canon.RELAXED, ascii("a \r b\r\n"))).isEqualTo(sha256(ascii("a \r b\r\n")));
  }

  @Test
  void rfc6376SampleBodyHash() {
    // the body of RFC 6376 Appendix A; bh= of RFC 8463 Appendix A.3 (relaxed) and of dkimpy's
    // simple/simple signatures over it
    byte[] body = ascii("Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n");
    assertThat(b64(hash(Canon.RELAXED, body))).isEqualTo("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
    assertThat(b64(hash(Canon.SIMPLE, body))).isEqualTo("4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
  }

  @Test
  void lengthLimitHashesAPrefixButCountsEverything() throws Exception {
    BodyHasher h = new BodyHasher(Canon.SIMPLE, 5);
    h.update(ascii("hello world\r\n"));
    assertThat(h.finish()).isEqualTo(sha256(ascii("hello")));
    assertThat(h.canonicalLength()).isEqualTo(13);
  }

  @Test
  void streamingInRandomChunksMatchesAWholeBodyReference() throws Exception {
    Random rnd = new Random(42);
    byte[] alphabet = ascii("ab \t\r\n\u00e9");
    for (int round = 0; round < 2000; round++) {
      byte[] body = new byte[rnd.nextInt(60)];
      for (int i = 0; i < body.length; i++) {
        body[i] = alphabet[rnd.nextInt(alphabet.length)];
      }
      for (Canon c : Canon.values()) {
        BodyHasher h = new BodyHasher(c);
        int i = 0;
        while (i < body.length) {
          int n = Math.min(body.length - i, 1 + rnd.nextInt(7));
          h.update(body, i, n);
          i += n;
        }
        assertThat(h.finish()).as("%s %s", c, java.util.Arrays.toString(body))
            .isEqualTo(sha256(reference(c, body)));
      }
    }
  }

  /** RFC 6376 §3.4.3/§3.4.4 applied to the whole body with regular expressions (as dkimpy does). */
  static byte[] reference(Canon c, byte[] body) {
    String s = new String(body, StandardCharsets.ISO_8859_1).replaceAll("\r?\n", "\r\n");
    if (c == Canon.RELAXED) {
      s = s.replaceAll("[ \t]+\r\n", "\r\n").replaceAll("[ \t]+\\z", "").replaceAll("[ \t]+", " ");
    }
    while (s.endsWith("\r\n")) {
      s = s.substring(0, s.length() - 2);
    }
    if (!s.isEmpty() || c == Canon.SIMPLE) {
      s = s + "\r\n";
    }
    return ascii(s);
  }
}
