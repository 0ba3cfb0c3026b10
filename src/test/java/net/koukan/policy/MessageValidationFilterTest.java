package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import net.koukan.config.ConfigException;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MessageValidationFilterTest {

  static final String HEAD = "Received: from a by b; Wed, 07 Feb 2024 14:47:24 -0800\r\n"
      + "Received: from c by d; Wed, 07 Feb 2024 14:47:20 -0800\r\n"
      + "From: Alice <alice@example.com>\r\n"
      + "To: bob@example.com\r\n"
      + "Date: Wed, 07 Feb 2024 14:47:00 -0800\r\n"
      + "Message-ID: <123.456@example.com>\r\n"
      + "Subject: hello\r\n";

  static final String GOOD = HEAD + "\r\nhello\r\n";

  /** One test message: what it is, its bytes, SMTPUTF8 or not, and the expected level. */
  record Case(String name, byte[] bytes, boolean smtputf8, Validity expected, String errorPart) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(String name, String msg, Validity v, String err) {
    return new Case(name, msg.getBytes(StandardCharsets.UTF_8), false, v, err);
  }

  static Case utf8(String name, String msg, Validity v, String err) {
    return new Case(name, msg.getBytes(StandardCharsets.UTF_8), true, v, err);
  }

  static String multipart(String boundary, String... parts) {
    StringBuilder b = new StringBuilder();
    for (String p : parts) {
      b.append("--").append(boundary).append("\r\n").append(p).append("\r\n");
    }
    return b.append("--").append(boundary).append("--\r\n").toString();
  }

  static final String MIME = "MIME-Version: 1.0\r\n";

  /** A multipart nested {@code levels} deep (the root message is depth 0). */
  static String nested(int levels) {
    String inner = "Content-Type: text/plain\r\n\r\nleaf";
    for (int i = levels; i > 0; i--) {
      inner = "Content-Type: multipart/mixed; boundary=\"b" + i + "\"\r\n\r\n" + multipart("b" + i, inner);
    }
    return HEAD + MIME + inner;
  }

  static List<Case> corpus() {
    String b64 = Base64.getMimeEncoder().encodeToString("attachment bytes \u00e9".getBytes(StandardCharsets.UTF_8));
    String goodMultipart = HEAD + MIME + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\npreamble\r\n"
        + multipart("XyZ",
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9",
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=\"a b.bin\"\r\n\r\n" + b64,
            "Content-Type: message/rfc822\r\n\r\n" + GOOD);
    return List.of(
        c("plain message", GOOD, Validity.HIGH, null),
        c("multipart with qp, base64 and message/rfc822", goodMultipart, Validity.HIGH, null),
        c("no header fields at all", "\r\nbody only\r\n", Validity.BASIC, "missing From"),
        c("headers only, no separator", HEAD, Validity.NONE, "CRLF CRLF"),
        c("LF line ends", GOOD.replace("\r\n", "\n"), Validity.NONE, "CRLF CRLF"),
        c("a line that is not a field", HEAD + "this is not a header\r\n\r\nbody", Validity.NONE,
            "line 8 of the header section is not a header field"),
        c("space before the colon", HEAD + "X-Bad : 1\r\n\r\nbody", Validity.NONE, "not a header field"),
        c("header section over 1 MiB", HEAD + "X-Big: " + "a".repeat(1 << 20) + "\r\n\r\nbody",
            Validity.NONE, "1048576"),
        c("8-bit header without SMTPUTF8", HEAD + "X-Name: Jos\u00e9\r\n\r\nbody", Validity.BASIC,
            "8-bit data without SMTPUTF8"),
        utf8("8-bit header with SMTPUTF8", HEAD + "X-Name: Jos\u00e9\r\n\r\nbody", Validity.HIGH, null),
        new Case("invalid UTF-8 with SMTPUTF8", concat(HEAD + "X-Name: ", new byte[] {(byte) 0xc3, 0x28},
            "\r\n\r\nbody"), true, Validity.BASIC, "invalid UTF-8"),
        c("control character", HEAD + "X-Ctl: a\u0001b\r\n\r\nbody", Validity.BASIC, "U+0001"),
        c("bare CR in a header", HEAD + "X-Ctl: a\rb\r\n\r\nbody", Validity.BASIC, "U+000D"),
        c("DEL in a header", HEAD + "X-Ctl: a\u007fb\r\n\r\nbody", Validity.BASIC, "U+007F"),
        c("missing Message-ID", GOOD.replace("Message-ID: <123.456@example.com>\r\n", ""),
            Validity.BASIC, "missing Message-ID"),
        c("two Date headers", "Date: Wed, 07 Feb 2024 14:47:00 -0800\r\n" + GOOD, Validity.BASIC,
            "multiple Date"),
        c("From without a mailbox", GOOD.replace("From: Alice <alice@example.com>", "From: Alice"),
            Validity.BASIC, "invalid From"),
        c("empty From", GOOD.replace("From: Alice <alice@example.com>", "From: "),
            Validity.BASIC, "invalid From"),
        c("unparsable Date", GOOD.replace("Date: Wed, 07 Feb 2024 14:47:00 -0800", "Date: yesterday"),
            Validity.BASIC, "invalid Date"),
        c("no such day", GOOD.replace("Wed, 07 Feb 2024 14:47:00", "Wed, 30 Feb 2024 14:47:00"),
            Validity.BASIC, "no such day"),
        c("Message-ID without brackets", GOOD.replace("<123.456@example.com>", "123.456@example.com"),
            Validity.BASIC, "invalid Message-ID"),
        c("Message-ID without a domain", GOOD.replace("<123.456@example.com>", "<123456>"),
            Validity.BASIC, "invalid Message-ID"),
        c("obsolete date and commented Message-ID",
            GOOD.replace("Wed, 07 Feb 2024 14:47:00 -0800", "7 Feb 24 14:47 PST")
                .replace("<123.456@example.com>", " (c) <a.b@[127.0.0.1]> (d)"),
            Validity.HIGH, null),
        c("folded headers", GOOD.replace("Subject: hello", "Subject: hello\r\n\tworld\r\n and more"),
            Validity.HIGH, null),
        c("first line is a continuation", " folded\r\n" + GOOD, Validity.MEDIUM, "continuation"),
        c("bad To", GOOD.replace("To: bob@example.com", "To: bob@"), Validity.MEDIUM, "invalid To"),
        c("bad encoded word", GOOD.replace("Subject: hello", "Subject: =?utf-8?b?w6?="), Validity.MEDIUM,
            "MIME defect"),
        c("unknown charset in an encoded word", GOOD.replace("Subject: hello", "Subject: =?x-nope?q?a?="),
            Validity.MEDIUM, "MIME defect"),
        c("multipart without closing boundary", HEAD + MIME
            + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n--XyZ\r\nContent-Type: text/plain\r\n\r\nhi\r\n",
            Validity.MEDIUM, "MIME defect"),
        c("multipart without boundary", HEAD + MIME + "Content-Type: multipart/mixed\r\n\r\nhi\r\n",
            Validity.MEDIUM, "multipart without boundary"),
        c("multipart without any part", HEAD + MIME
            + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\nonly a preamble\r\n",
            Validity.MEDIUM, "MIME defect"),
        c("multipart with only a closing boundary", HEAD + MIME
            + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\npreamble\r\n--XyZ--\r\n",
            Validity.MEDIUM, "without any part"),
        c("base64 multipart", HEAD + MIME + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + multipart("XyZ", "\r\nx"),
            Validity.MEDIUM, "Content-Transfer-Encoding base64"),
        c("bad base64", HEAD + MIME + "Content-Type: application/octet-stream\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n@@@@ not base64 !!!\r\n", Validity.MEDIUM, "MIME defect"),
        c("bad quoted-printable", HEAD + MIME + "Content-Type: text/plain\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ escape\r\n", Validity.MEDIUM, "MIME defect"),
        c("unparsable Content-Type", HEAD + MIME + "Content-Type: text\r\n\r\nhi\r\n", Validity.MEDIUM,
            "invalid Content-Type"),
        c("bad Content-Transfer-Encoding", HEAD + MIME + "Content-Transfer-Encoding: 8bit junk\r\n\r\nhi\r\n",
            Validity.MEDIUM, "invalid Content-Transfer-Encoding"),
        c("bad MIME-Version", HEAD + "MIME-Version: one\r\n\r\nhi\r\n", Validity.MEDIUM, "MIME-Version"),
        c("8-bit header in a part", HEAD + MIME + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n"
            + multipart("XyZ", "Content-Type: text/plain; name=\"caf\u00e9\"\r\n\r\nx"), Validity.MEDIUM,
            "8-bit data without SMTPUTF8 in header Content-Type"),
        c("defect inside an attached message", HEAD + MIME + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n"
            + multipart("XyZ", "Content-Type: message/rfc822\r\n\r\n"
                + GOOD.replace("Date: Wed, 07 Feb 2024 14:47:00 -0800", "Date: not a date")),
            Validity.MEDIUM, "invalid Date"),
        c("MIME tree 19 multiparts deep", nested(19), Validity.HIGH, null),
        c("MIME tree 20 multiparts deep", nested(20), Validity.HIGH, null),
        c("MIME tree 21 multiparts deep", nested(21), Validity.MEDIUM, "deeper than 20"),
        utf8("UTF-8 mailbox with SMTPUTF8", GOOD.replace("Alice <alice@example.com>", "J\u00f6rg <j\u00f6rg@b\u00fccher.example>"),
            Validity.HIGH, null),
        c("binary garbage", "\u0000\u0001\u0002\r\n\r\n\u00ff", Validity.NONE, "not a header field"));
  }

  static byte[] concat(String a, byte[] b, String c) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] z = c.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[x.length + b.length + z.length];
    System.arraycopy(x, 0, out, 0, x.length);
    System.arraycopy(b, 0, out, x.length, b.length);
    System.arraycopy(z, 0, out, x.length + b.length, z.length);
    return out;
  }

  static JsonNode run(byte[] message, boolean smtputf8) {
    FilterTx tx = new FilterTx("t", "s", null);
    tx.mailFrom(new Mailbox("a@example.com", smtputf8 ? List.of(new EsmtpParam("SMTPUTF8", null)) : List.of()));
    tx.addRcpt(Mailbox.of("b@example.com"));
    tx.body(new Body.Raw(BlobSource.of(message)));
    Harness.Output out = new Harness.Output();
    new Chain(List.of(new MessageValidationFilter(), out)).update(tx, new Delta(true, List.of(0), true));
    assertThat(tx.dataResponse().code()).isEqualTo(250); // it never rejects by itself
    return tx.filterOutput().get("message_validation");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void classifies(Case c) {
    JsonNode out = run(c.bytes(), c.smtputf8());
    assertThat(out.get("validity").asText()).as(out.toString()).isEqualTo(c.expected().name());
    if (c.expected() == Validity.HIGH) {
      assertThat(out.has("error")).isFalse();
    } else {
      assertThat(out.get("error").asText()).contains(c.errorPart());
    }
  }

  @Test
  void recordsReceivedCountAndHeaderFrom() {
    JsonNode out = run(GOOD.getBytes(StandardCharsets.UTF_8), false);
    assertThat(out.get("received_count").asInt()).isEqualTo(2);
    assertThat(out.get("header_from").asText()).isEqualTo("alice@example.com");
    // counted even when the message is only BASIC; no header_from for several mailboxes
    JsonNode two = run(GOOD.replace("Alice <alice@example.com>", "a@example.com, b@example.com")
        .replace("Message-ID: <123.456@example.com>\r\n", "").getBytes(StandardCharsets.UTF_8), false);
    assertThat(two.get("validity").asText()).isEqualTo("BASIC");
    assertThat(two.get("received_count").asInt()).isEqualTo(2);
    assertThat(two.has("header_from")).isFalse();
    JsonNode utf = run(GOOD.replace("Alice <alice@example.com>", "<j\u00f6rg@example.com>")
        .getBytes(StandardCharsets.UTF_8), true);
    assertThat(utf.get("header_from").asText()).isEqualTo("j\u00f6rg@example.com");
    assertThat(run(HEAD.getBytes(StandardCharsets.UTF_8), false).has("received_count")).isFalse();
  }

  @Test
  void neverThrowsOnMangledMessages() {
    Random r = new Random(42);
    byte[] base = (HEAD + MIME + "Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n"
        + multipart("XyZ", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=",
            "Content-Type: message/rfc822\r\n\r\n" + GOOD)).getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 500; i++) {
      byte[] m = base.clone();
      for (int k = 0; k < 1 + r.nextInt(8); k++) {
        m[r.nextInt(m.length)] = (byte) r.nextInt(256);
      }
      boolean utf = r.nextBoolean();
      assertThatCode(() -> run(m, utf)).doesNotThrowAnyException();
    }
  }

  @Test
  void deeplyNestedCommentsAreFineUnbalancedOnesAreADefect() {
    String deep = "(".repeat(200_000) + ")".repeat(200_000);
    for (String header : List.of("To: bob@example.com", "Message-ID: <123.456@example.com>",
        "From: Alice <alice@example.com>")) {
      JsonNode ok = run(GOOD.replace(header, header + " " + deep).getBytes(StandardCharsets.UTF_8), false);
      assertThat(ok.get("validity").asText()).as(header).isEqualTo("HIGH");
      JsonNode bad = run(GOOD.replace(header, header + " " + "(".repeat(200_000))
          .getBytes(StandardCharsets.UTF_8), false);
      assertThat(bad.get("validity").asText()).as(header).isIn("BASIC", "MEDIUM");
      assertThat(bad.get("error").asText()).as(header).contains("invalid " + header.substring(0, header.indexOf(':')));
    }
  }

  @Test
  void unreadableBlobIsATemporaryFailure() {
    FilterTx tx = new FilterTx("t", "s", null);
    tx.mailFrom(Mailbox.of("a@example.com"));
    tx.addRcpt(Mailbox.of("b@example.com"));
    tx.body(new Body.Raw(new BlobSource() {
      @Override
      public long length() {
        return 10;
      }

      @Override
      public InputStream open() throws IOException {
        throw new IOException("disk gone");
      }
    }));
    new Chain(List.of(new MessageValidationFilter(), new Harness.Output()))
        .update(tx, new Delta(true, List.of(0), true));
    assertThat(tx.dataResponse().code()).isEqualTo(451);
    assertThat(tx.filterOutput().has("message_validation")).isFalse();
  }

  @Test
  void optionsAreChecked() {
    var stanzas = Harness.stanzas("""
        - filter: message_validation
        - filter: message_validation
          max_depth: 3
        """);
    MessageValidationFilter.Factory f = new MessageValidationFilter.Factory();
    assertThat(f.prepare(stanzas.get(0)).get()).isInstanceOf(MessageValidationFilter.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.prepare(stanzas.get(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("r.yaml:" + (Harness.CHAIN_FIRST_LINE + 2) + ":")
        .hasMessageContaining("max_depth");
  }
}
