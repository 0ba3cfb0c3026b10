package net.koukan.dsn;

import static net.koukan.dsn.DsnFixtures.ARRIVAL;
import static net.koukan.dsn.DsnFixtures.LAST;
import static net.koukan.dsn.DsnFixtures.NOW;
import static net.koukan.dsn.DsnFixtures.ORIGINAL_HEADERS;
import static net.koukan.dsn.DsnFixtures.ORIGINAL_MESSAGE;
import static net.koukan.dsn.DsnFixtures.RETRY_UNTIL;
import static net.koukan.dsn.DsnFixtures.assert7bit;
import static net.koukan.dsn.DsnFixtures.assertCrlfAndLineLimits;
import static net.koukan.dsn.DsnFixtures.content;
import static net.koukan.dsn.DsnFixtures.decoded;
import static net.koukan.dsn.DsnFixtures.delayed;
import static net.koukan.dsn.DsnFixtures.failed;
import static net.koukan.dsn.DsnFixtures.lines;
import static net.koukan.dsn.DsnFixtures.map;
import static net.koukan.dsn.DsnFixtures.mime4j;
import static net.koukan.dsn.DsnFixtures.parts;
import static net.koukan.dsn.DsnFixtures.python;
import static net.koukan.dsn.DsnFixtures.request;
import static net.koukan.dsn.DsnFixtures.statusGroups;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.dom.field.ContentTypeField;
import org.junit.jupiter.api.Test;

class DsnTest {

  private static final String USER_UNKNOWN = "5.1.1 <bob@example.net>: Recipient address rejected: User unknown";

  @Test
  void failureDsnHasTheRfc3464StructureAccordingToMime4j() throws Exception {
    byte[] dsn = Dsn.build(request(List.of(failed("bob@example.net", 550, USER_UNKNOWN)), ORIGINAL_MESSAGE));
    Message m = mime4j(dsn);

    Mailbox from = m.getFrom().get(0);
    assertThat(from.getName()).isEqualTo("Mail Delivery Subsystem");
    assertThat(from.getAddress()).isEqualTo("mailer-daemon@example.com");
    assertThat(m.getTo().flatten()).extracting(Mailbox::getAddress).containsExactly("alice@example.org");
    assertThat(m.getDate()).isEqualTo(Date.from(NOW.minusMillis(123)));
    assertThat(m.getMessageId()).isEqualTo("<a1b2c3d4e5f6@mail.example.com>");
    assertThat(m.getSubject()).isEqualTo("Delivery Status Notification (Failure)");
    assertThat(m.getHeader().getField("In-Reply-To").getBody()).isEqualTo("<orig-123.456@example.org>");
    assertThat(m.getHeader().getField("References").getBody()).isEqualTo("<orig-123.456@example.org>");
    assertThat(m.getHeader().getField("Auto-Submitted").getBody()).isEqualTo("auto-replied");
    assertThat(m.getHeader().getField("MIME-Version").getBody()).isEqualTo("1.0");

    ContentTypeField ct = (ContentTypeField) m.getHeader().getField("Content-Type");
    assertThat(ct.getMimeType()).isEqualTo("multipart/report");
    assertThat(ct.getParameter("report-type")).isEqualTo("delivery-status");
    assertThat(ct.getParameter("report_type")).isNull(); // the reference implementation's bug
    assertThat(ct.getBoundary()).isNotBlank();

    List<Entity> parts = parts(m);
    assertThat(parts).extracting(Entity::getMimeType)
        .containsExactly("text/plain", "message/delivery-status", "text/rfc822-headers");

    Entity human = parts.get(0);
    assertThat(human.getCharset()).isEqualToIgnoringCase("utf-8");
    assertThat(human.getContentTransferEncoding()).isEqualTo("quoted-printable");
    String text = new String(content(human), StandardCharsets.UTF_8);
    assertThat(text)
        .contains("mail.example.com")
        .contains("could not be delivered")
        .contains("<bob@example.net>: delivery failed (status 5.1.1)")
        .contains("mx.example.net answered: 550 " + USER_UNKNOWN)
        .doesNotContain("delayed");

    List<Map<String, String>> groups = statusGroups(content(parts.get(1)));
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0)).containsExactly(
        entry("Original-Envelope-Id", "envid-42"),
        entry("Reporting-MTA", "dns; mail.example.com"),
        entry("Arrival-Date", "Sun, 1 Jun 2025 08:00:00 +0000"));
    assertThat(groups.get(1)).containsExactly(
        entry("Final-Recipient", "rfc822; bob@example.net"),
        entry("Action", "failed"),
        entry("Status", "5.1.1"),
        entry("Remote-MTA", "dns; mx.example.net"),
        entry("Diagnostic-Code", "smtp; 550 " + USER_UNKNOWN),
        entry("Last-Attempt-Date", "Tue, 3 Jun 2025 11:05:00 +0000"));

    Entity headers = parts.get(2);
    assertThat(headers.getContentTransferEncoding()).isEqualTo("7bit");
    assertThat(new String(content(headers), StandardCharsets.US_ASCII)).isEqualTo(ORIGINAL_HEADERS);

    assertCrlfAndLineLimits(dsn);
    assert7bit(dsn);
  }

  @Test
  void pythonEmailPackageParsesTheSameStructure() throws Exception {
    byte[] dsn = Dsn.build(request(List.of(
        failed("bob@example.net", 550, USER_UNKNOWN),
        delayed("carol@example.net", 451, "4.4.7 try again later")), ORIGINAL_MESSAGE));
    JsonNode py = python(dsn);

    assertThat(py.get("defects")).isEmpty();
    assertThat(py.get("is_multipart").asBoolean()).isTrue();
    assertThat(py.get("content_type").asText()).isEqualTo("multipart/report");
    assertThat(py.get("report_type").asText()).isEqualTo("delivery-status");
    assertThat(py.get("report_type_underscore").isNull()).isTrue();
    assertThat(map(py.get("headers"))).containsExactly(
        entry("From", "Mail Delivery Subsystem <mailer-daemon@example.com>"),
        entry("To", "<alice@example.org>"),
        entry("Date", "Tue, 3 Jun 2025 11:05:30 +0000"),
        entry("Message-ID", "<a1b2c3d4e5f6@mail.example.com>"),
        entry("Subject", "Delivery Status Notification (Failure)"),
        entry("In-Reply-To", "<orig-123.456@example.org>"),
        entry("References", "<orig-123.456@example.org>"),
        entry("Auto-Submitted", "auto-replied"),
        entry("MIME-Version", "1.0"),
        entry("Content-Type", "multipart/report; report-type=delivery-status; boundary=\""
            + py.get("boundary").asText() + "\""));

    JsonNode parts = py.get("parts");
    assertThat(parts).hasSize(3);
    parts.forEach(p -> assertThat(p.get("defects")).isEmpty());
    assertThat(parts.get(0).get("content_type").asText()).isEqualTo("text/plain");
    assertThat(parts.get(0).get("charset").asText()).isEqualTo("utf-8");
    assertThat(new String(decoded(parts.get(0)), StandardCharsets.UTF_8))
        .contains("<bob@example.net>: delivery failed (status 5.1.1)")
        .contains("<carol@example.net>: delivery delayed (status 4.4.7)")
        .contains("mx.example.net answered: 451 4.4.7 try again later")
        .contains("Will keep trying until: Fri, 6 Jun 2025 08:00:00 +0000");

    JsonNode status = parts.get(1);
    assertThat(status.get("content_type").asText()).isEqualTo("message/delivery-status");
    assertThat(status.get("block_defects")).isEmpty();
    JsonNode blocks = status.get("blocks");
    assertThat(blocks).hasSize(3);
    assertThat(map(blocks.get(0))).containsExactly(
        entry("Original-Envelope-Id", "envid-42"),
        entry("Reporting-MTA", "dns; mail.example.com"),
        entry("Arrival-Date", "Sun, 1 Jun 2025 08:00:00 +0000"));
    assertThat(map(blocks.get(1))).containsExactly(
        entry("Final-Recipient", "rfc822; bob@example.net"),
        entry("Action", "failed"),
        entry("Status", "5.1.1"),
        entry("Remote-MTA", "dns; mx.example.net"),
        entry("Diagnostic-Code", "smtp; 550 " + USER_UNKNOWN),
        entry("Last-Attempt-Date", "Tue, 3 Jun 2025 11:05:00 +0000"));
    assertThat(map(blocks.get(2))).containsExactly(
        entry("Final-Recipient", "rfc822; carol@example.net"),
        entry("Action", "delayed"),
        entry("Status", "4.4.7"),
        entry("Remote-MTA", "dns; mx.example.net"),
        entry("Diagnostic-Code", "smtp; 451 4.4.7 try again later"),
        entry("Last-Attempt-Date", "Tue, 3 Jun 2025 11:05:00 +0000"),
        entry("Will-Retry-Until", "Fri, 6 Jun 2025 08:00:00 +0000"));

    JsonNode headers = parts.get(2);
    assertThat(headers.get("content_type").asText()).isEqualTo("text/rfc822-headers");
    assertThat(new String(decoded(headers), StandardCharsets.US_ASCII)).isEqualTo(ORIGINAL_HEADERS);
  }

  @Test
  void subjectSaysDelayOnlyWhenEveryRecipientIsDelayed() throws Exception {
    byte[] allDelayed = Dsn.build(request(List.of(
        delayed("bob@example.net", 451, "4.4.7 later"),
        delayed("carol@example.net", 421, "service busy")), null));
    Message m = mime4j(allDelayed);
    assertThat(m.getSubject()).isEqualTo("Delivery Status Notification (Delay)");
    assertThat(new String(content(parts(m).get(0)), StandardCharsets.UTF_8))
        .contains("has been delayed")
        .contains("do not need to send the message again")
        .doesNotContain("could not be delivered");

    byte[] mixed = Dsn.build(request(List.of(
        delayed("bob@example.net", 451, "4.4.7 later"),
        failed("carol@example.net", 550, "no such user")), null));
    assertThat(mime4j(mixed).getSubject()).isEqualTo("Delivery Status Notification (Failure)");

    // A 4xx on the final attempt is a failure (spec §4.7: Status 4.0.0 with Action failed).
    DsnRecipient gaveUp = new DsnRecipient("bob@example.net", "failed", "4.0.0", 421, "busy",
        null, LAST, RETRY_UNTIL);
    byte[] expired = Dsn.build(request(List.of(gaveUp), null));
    assertThat(mime4j(expired).getSubject()).isEqualTo("Delivery Status Notification (Failure)");
    Map<String, String> rcpt = statusGroups(content(parts(mime4j(expired)).get(1))).get(1);
    assertThat(rcpt).containsEntry("Action", "failed").containsEntry("Status", "4.0.0")
        .doesNotContainKeys("Will-Retry-Until", "Remote-MTA");
  }

  @Test
  void multipleRecipientsEachGetTheirOwnGroupInOrder() throws Exception {
    List<DsnRecipient> rcpts = List.of(
        failed("a@example.net", 550, "5.1.1 no such user a"),
        failed("b@example.net", 552, "5.2.2 mailbox full"),
        delayed("c@example.net", 450, "greylisted"),
        new DsnRecipient("d@example.org", "failed", "5.4.4", 550, "no MX", null, LAST, null));
    byte[] dsn = Dsn.build(request(rcpts, ORIGINAL_MESSAGE));

    List<Map<String, String>> groups = statusGroups(content(parts(mime4j(dsn)).get(1)));
    assertThat(groups).hasSize(5);
    assertThat(groups.subList(1, 5)).extracting(g -> g.get("Final-Recipient")).containsExactly(
        "rfc822; a@example.net", "rfc822; b@example.net", "rfc822; c@example.net", "rfc822; d@example.org");
    assertThat(groups.subList(1, 5)).extracting(g -> g.get("Status"))
        .containsExactly("5.1.1", "5.2.2", "4.0.0", "5.4.4");
    assertThat(groups.subList(1, 5)).extracting(g -> g.get("Diagnostic-Code")).containsExactly(
        "smtp; 550 5.1.1 no such user a", "smtp; 552 5.2.2 mailbox full", "smtp; 450 greylisted",
        "smtp; 550 no MX");
    assertThat(groups.get(3)).containsEntry("Will-Retry-Until", "Fri, 6 Jun 2025 08:00:00 +0000");
    assertThat(groups.get(4)).doesNotContainKey("Remote-MTA");

    JsonNode blocks = python(dsn).get("parts").get(1).get("blocks");
    assertThat(blocks).hasSize(5);
    for (int i = 0; i < 5; i++) {
      assertThat(map(blocks.get(i))).isEqualTo(groups.get(i));
    }
  }

  @Test
  void headerInjectionInRemoteTextIsNeutralised() throws Exception {
    String evil = "user unknown\r\nBcc: victim@example.com\r\n\r\nFinal-Recipient: rfc822; forged@example.com"
        + "\nAction: delivered\rX-Evil: 1\u0000\u0007\u0085\u2028Subject: pwned";
    DsnRecipient r = new DsnRecipient("bob@example.net", "failed", "5.0.0", 550, evil,
        "mx.example.net\r\nX-Injected: yes", LAST, null);
    DsnRequest req = new DsnRequest("mail.example.com", "mailer-daemon@example.com", "alice@example.org",
        "env\r\nX-Env-Injected: 1", ARRIVAL, List.of(r), ORIGINAL_MESSAGE, NOW, "id1");
    byte[] dsn = Dsn.build(req);

    assertCrlfAndLineLimits(dsn);
    assert7bit(dsn);
    for (String line : lines(dsn)) {
      assertThat(line).doesNotStartWith("Bcc").doesNotStartWith("X-Evil").doesNotStartWith("X-Injected")
          .doesNotStartWith("X-Env-Injected").doesNotStartWith("Subject: pwned")
          .doesNotStartWith("Final-Recipient: rfc822; forged").doesNotStartWith("Action: delivered");
    }

    Message m = mime4j(dsn);
    assertThat(m.getHeader().getFields()).extracting(f -> f.getName()).containsExactly(
        "From", "To", "Date", "Message-ID", "Subject", "In-Reply-To", "References", "Auto-Submitted",
        "MIME-Version", "Content-Type");
    assertThat(m.getSubject()).isEqualTo("Delivery Status Notification (Failure)");
    List<Map<String, String>> groups = statusGroups(content(parts(m).get(1)));
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0)).containsEntry("Original-Envelope-Id", "env X-Env-Injected: 1");
    assertThat(groups.get(1)).containsOnlyKeys("Final-Recipient", "Action", "Status", "Remote-MTA",
        "Diagnostic-Code", "Last-Attempt-Date");
    assertThat(groups.get(1)).containsEntry("Final-Recipient", "rfc822; bob@example.net")
        .containsEntry("Action", "failed")
        .containsEntry("Remote-MTA", "dns; mx.example.net X-Injected: yes")
        .containsEntry("Diagnostic-Code", "smtp; 550 user unknown Bcc: victim@example.com "
            + "Final-Recipient: rfc822; forged@example.com Action: delivered X-Evil: 1 Subject: pwned");

    JsonNode py = python(dsn);
    assertThat(map(py.get("headers"))).doesNotContainKeys("Bcc", "X-Evil", "X-Injected");
    JsonNode blocks = py.get("parts").get(1).get("blocks");
    assertThat(blocks).hasSize(2);
    assertThat(map(blocks.get(1))).isEqualTo(groups.get(1));
    String human = new String(decoded(py.get("parts").get(0)), StandardCharsets.UTF_8);
    assertThat(human).contains("answered: 550 user unknown Bcc: victim@example.com Final-Recipient:");
    assertThat(human.lines()).noneMatch(l -> l.startsWith("Bcc") || l.startsWith("X-Evil"));
  }

  @Test
  void boundaryInRemoteTextOrOriginalHeadersCannotSplitTheReport() throws Exception {
    DsnRequest plain = request(List.of(failed("bob@example.net", 550, "x")), null);
    String boundary = mime4jBoundary(Dsn.build(plain));

    String evilText = "x\r\n--" + boundary + "\r\nContent-Type: text/html\r\n\r\n<b>phish</b> --" + boundary + "--";
    byte[] evilHeaders = ("Subject: hi\r\n--" + boundary + "\r\nContent-Type: text/html\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] dsn = Dsn.build(request(List.of(failed("bob@example.net", 550, evilText)), evilHeaders));

    Message m = mime4j(dsn);
    assertThat(mime4jBoundary(dsn)).isNotEqualTo(boundary);
    assertThat(parts(m)).extracting(Entity::getMimeType)
        .containsExactly("text/plain", "message/delivery-status", "text/rfc822-headers");
    assertThat(new String(content(parts(m).get(2)), StandardCharsets.US_ASCII))
        .isEqualTo("Subject: hi\r\n--" + boundary + "\r\nContent-Type: text/html\r\n");
    JsonNode py = python(dsn);
    assertThat(py.get("parts")).hasSize(3);
    assertThat(py.get("parts").get(1).get("blocks")).hasSize(2);
  }

  @Test
  void nonAsciiRemoteTextIsQuotedPrintableForHumansAndEscapedForMachines() throws Exception {
    String text = "5.1.1 Benutzer unbekannt: Müller – 用户不存在 ✉\uD83D\uDE00";
    byte[] dsn = Dsn.build(request(List.of(failed("bob@example.net", 550, text)), ORIGINAL_MESSAGE));

    assert7bit(dsn);
    assertCrlfAndLineLimits(dsn);
    Message m = mime4j(dsn);
    Entity human = parts(m).get(0);
    assertThat(human.getContentTransferEncoding()).isEqualTo("quoted-printable");
    assertThat(new String(content(human), StandardCharsets.UTF_8)).contains("answered: 550 " + text);
    assertThat(statusGroups(content(parts(m).get(1))).get(1)).containsEntry("Diagnostic-Code",
        "smtp; 550 5.1.1 Benutzer unbekannt: M\\x{FC}ller \\x{2013} \\x{7528}\\x{6237}\\x{4E0D}\\x{5B58}"
            + "\\x{5728} \\x{2709}\\x{1F600}");

    JsonNode py = python(dsn);
    assertThat(py.get("parts").get(0).get("cte").asText()).isEqualTo("quoted-printable");
    assertThat(new String(decoded(py.get("parts").get(0)), StandardCharsets.UTF_8)).contains("answered: 550 " + text);
  }

  @Test
  void nonAsciiRecipientUsesTheRfc6533Utf8AddressType() throws Exception {
    DsnRecipient r = new DsnRecipient("ünï+cøde=x\\y@例え.jp", "failed", "5.1.1", 550, "5.1.1 unknown",
        "mx.example.jp", LAST, null);
    byte[] dsn = Dsn.build(request(List.of(r), null));
    assert7bit(dsn);
    Message m = mime4j(dsn);
    assertThat(statusGroups(content(parts(m).get(1))).get(1)).containsEntry("Final-Recipient",
        "utf-8; \\x{FC}n\\x{EF}\\x{2B}c\\x{F8}de\\x{3D}x\\x{5C}y@\\x{4F8B}\\x{3048}.jp");
    assertThat(new String(content(parts(m).get(0)), StandardCharsets.UTF_8))
        .contains("<ünï+cøde=x\\y@例え.jp>: delivery failed");
    assertThat(parts(m)).hasSize(2); // no original headers given
  }

  @Test
  void originalMessageIdIsFoundEvenWhenFoldedAndOnlyWhenWellFormed() throws Exception {
    byte[] folded = "From: a@example.org\r\nmessage-id:\r\n  <folded.1@example.org> (comment)\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);
    Message m = mime4j(Dsn.build(request(List.of(failed("bob@example.net", 550, "x")), folded)));
    assertThat(m.getHeader().getField("In-Reply-To").getBody()).isEqualTo("<folded.1@example.org>");
    assertThat(m.getHeader().getField("References").getBody()).isEqualTo("<folded.1@example.org>");

    for (String headers : List.of("From: a@example.org\r\nSubject: no id\r\n",
        "Message-ID: <has space@example.org>\r\n",
        "Message-ID: <bad\u00e9@example.org>\r\n",
        "Subject: x\r\n\r\nMessage-ID: <in-body@example.org>\r\n")) {
      Message n = mime4j(Dsn.build(request(List.of(failed("bob@example.net", 550, "x")),
          headers.getBytes(StandardCharsets.ISO_8859_1))));
      assertThat(n.getHeader().getField("In-Reply-To")).as(headers).isNull();
      assertThat(n.getHeader().getField("References")).as(headers).isNull();
    }
    // Latin-1 bytes are not UTF-8: no charset label, but the bytes survive quoted-printable.
    Entity latin1 = parts(mime4j(Dsn.build(request(List.of(failed("bob@example.net", 550, "x")),
        "Message-ID: <bad\u00e9@example.org>\r\n".getBytes(StandardCharsets.ISO_8859_1))))).get(2);
    assertThat(latin1.getContentTransferEncoding()).isEqualTo("quoted-printable");
    assertThat(latin1.getHeader().getField("Content-Type").getBody()).isEqualTo("text/rfc822-headers");
    assertThat(new String(content(latin1), StandardCharsets.ISO_8859_1))
        .isEqualTo("Message-ID: <bad\u00e9@example.org>\r\n");

    Message none = mime4j(Dsn.build(request(List.of(failed("bob@example.net", 550, "x")), null)));
    assertThat(none.getHeader().getField("In-Reply-To")).isNull();
  }

  @Test
  void originalHeadersAreLimitedTo64KiBAtALineBoundary() throws Exception {
    StringBuilder big = new StringBuilder("Message-ID: <big@example.org>\r\n");
    for (int i = 0; big.length() < 200_000; i++) {
      big.append("X-Filler-").append(i).append(": ").append("y".repeat(i % 97)).append("\r\n");
    }
    String all = big.toString();
    byte[] dsn = Dsn.build(request(List.of(failed("bob@example.net", 550, "x")),
        (all + "\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
    assertCrlfAndLineLimits(dsn);

    Message m = mime4j(dsn);
    String part = new String(content(parts(m).get(2)), StandardCharsets.US_ASCII);
    assertThat(part.length()).isLessThanOrEqualTo(Dsn.MAX_ORIGINAL_HEADERS);
    assertThat(part).endsWith("\r\n");
    assertThat(all).startsWith(part);
    int nextLineEnd = all.indexOf("\r\n", part.length()) + 2;
    assertThat(nextLineEnd).isGreaterThan(Dsn.MAX_ORIGINAL_HEADERS); // nothing more would have fitted
    assertThat(m.getHeader().getField("In-Reply-To").getBody()).isEqualTo("<big@example.org>");

    String py = new String(decoded(python(dsn).get("parts").get(2)), StandardCharsets.US_ASCII);
    assertThat(py).isEqualTo(part);
  }

  @Test
  void eightBitOrBareLfOriginalHeadersAreNormalisedAndQuotedPrintable() throws Exception {
    byte[] original = "Subject: Grüße\nFrom: Jörg <j@example.de>\r\nX-Long: ".getBytes(StandardCharsets.UTF_8);
    String longValue = "z".repeat(1500);
    byte[] msg = concat(original, (longValue + "\n\nbody").getBytes(StandardCharsets.US_ASCII));
    byte[] dsn = Dsn.build(request(List.of(failed("bob@example.net", 550, "x")), msg));
    assert7bit(dsn);
    assertCrlfAndLineLimits(dsn);

    Entity headers = parts(mime4j(dsn)).get(2);
    assertThat(headers.getContentTransferEncoding()).isEqualTo("quoted-printable");
    assertThat(headers.getCharset()).isEqualToIgnoringCase("utf-8");
    String expected = "Subject: Grüße\r\nFrom: Jörg <j@example.de>\r\nX-Long: " + longValue + "\r\n";
    assertThat(new String(content(headers), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(new String(decoded(python(dsn).get("parts").get(2)), StandardCharsets.UTF_8)).isEqualTo(expected);
  }

  @Test
  void longDiagnosticsAreFoldedAndCapped() throws Exception {
    StringBuilder words = new StringBuilder("5.7.1");
    while (words.length() < 3000) {
      words.append(" policy").append(words.length() % 13);
    }
    String oneWord = "w".repeat(2000);
    byte[] dsn = Dsn.build(request(List.of(
        failed("a@example.net", 550, words.toString()),
        failed("b@example.net", 550, oneWord),
        failed("c@example.net", 550, "q ".repeat(10_000))), null));
    assertCrlfAndLineLimits(dsn);

    Message m = mime4j(dsn);
    byte[] status = content(parts(m).get(1));
    for (String line : new String(status, StandardCharsets.US_ASCII).split("\r\n")) {
      if (!line.contains("www")) {
        assertThat(line.length()).as(line).isLessThanOrEqualTo(Dsn.FOLD_AT);
      }
    }
    List<Map<String, String>> groups = statusGroups(status);
    assertThat(groups.get(1)).containsEntry("Diagnostic-Code", "smtp; 550 " + words)
        .containsEntry("Status", "5.7.1");
    // An unbreakable 2000-character word is split (on unfolding the chunks are space-separated).
    assertThat(groups.get(2).get("Diagnostic-Code").replace(" ", "")).isEqualTo("smtp;550" + oneWord);
    // Remote text is capped at MAX_REMOTE_TEXT code points and marked.
    String capped = groups.get(3).get("Diagnostic-Code");
    assertThat(capped).endsWith("...").startsWith("smtp; 550 q q");
    assertThat(capped.length()).isLessThan(Dsn.MAX_REMOTE_TEXT + 20);

    JsonNode blocks = python(dsn).get("parts").get(1).get("blocks");
    assertThat(map(blocks.get(1))).containsEntry("Diagnostic-Code", "smtp; 550 " + words);
  }

  @Test
  void buildIsDeterministicAndDoesNotLeakTheRequestArray() {
    byte[] headers = ORIGINAL_MESSAGE.clone();
    DsnRequest r = request(List.of(failed("bob@example.net", 550, USER_UNKNOWN)), headers);
    byte[] first = Dsn.build(r);
    headers[0] = 'X'; // mutating the caller's array must not change the request
    r.originalHeaders()[1] = 'Y'; // nor mutating the accessor's copy
    assertThat(Dsn.build(r)).isEqualTo(first);
    assertThat(r).isEqualTo(request(List.of(failed("bob@example.net", 550, USER_UNKNOWN)), ORIGINAL_MESSAGE));
  }

  @Test
  void requestsThatWouldProduceABadDsnAreRejected() {
    List<DsnRecipient> one = List.of(failed("bob@example.net", 550, "x"));
    assertThatThrownBy(() -> new DsnRequest("mail.example.com", "mailer-daemon@example.com", "",
        null, ARRIVAL, one, null, NOW, "id")).hasMessageContaining("originalSender is empty");
    assertThatThrownBy(() -> new DsnRequest("mail.example.com", "mailer-daemon@example.com",
        "a@b\r\nBcc: x@y", null, ARRIVAL, one, null, NOW, "id")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRequest("mail.example.com\r\nX: y", "mailer-daemon@example.com",
        "a@b", null, ARRIVAL, one, null, NOW, "id")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRequest("mail.example.com", "mailer-daemon@example.com",
        "a@b", null, ARRIVAL, one, null, NOW, "id>\r\nX: y")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRequest("mail.example.com", "mailer-daemon@example.com",
        "a@b", null, ARRIVAL, List.of(), null, NOW, "id")).isInstanceOf(IllegalArgumentException.class);

    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "delivered", "2.0.0", 250, "ok", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "failed", "2.0.0", 550, "x", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "delayed", "5.1.1", 450, "x", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "failed", "5.01.1", 550, "x", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "failed", "5.1.1", 55, "x", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net\n", "failed", "5.1.1", 550, "x", null, LAST, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DsnRecipient("bob@example.net", "failed", "5.1.1", 550, "x", null, null, null))
        .isInstanceOf(NullPointerException.class);
    assertThat(new DsnRecipient("bob@example.net", "FAILED", "5.1.1", 550, null, null, LAST, null).action())
        .isEqualTo("failed");
  }

  private static String mime4jBoundary(byte[] dsn) throws Exception {
    return ((ContentTypeField) mime4j(dsn).getHeader().getField("Content-Type")).getBoundary();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
