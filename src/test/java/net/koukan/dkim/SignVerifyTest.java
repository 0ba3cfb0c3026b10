package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our signer against our verifier (in-memory DNS), and the verifier against published vectors. */
class SignVerifyTest {
  static final Instant NOW = Instant.parse("2026-03-02T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final String MSG = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
      + "Subject: Hello\r\n  folded\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
      + "Message-ID: <1@example.com>\r\n\r\nHello  Bob,\r\n\r\nsee you.\r\n\r\n";

  static final TestKeys.MapResolver DNS = new TestKeys.MapResolver()
      .publish("rsa", "example.com", TestKeys.RSA)
      .publish("ed", "example.com", TestKeys.ED25519);

  static DkimSigner signer(Canon h, Canon b, Duration expiration, DkimSigner.Key... keys) {
    return new DkimSigner("example.com", List.of(keys), h, b, DkimSigner.DEFAULT_HEADERS,
        DkimSigner.DEFAULT_OVERSIGN, expiration, CLOCK);
  }

  static DkimSigner.Key rsa() {
    return new DkimSigner.Key("rsa", TestKeys.signing(TestKeys.RSA));
  }

  static DkimSigner.Key ed() {
    return new DkimSigner.Key("ed", TestKeys.signing(TestKeys.ED25519));
  }

  static String sign(DkimSigner s, String msg) throws Exception {
    return new String(s.sign(new ByteArrayInputStream(msg.getBytes(StandardCharsets.UTF_8))),
        StandardCharsets.UTF_8) + msg;
  }

  static DkimVerifier.Outcome verify(String msg, TxtResolver dns, Clock clock) throws Exception {
    return new DkimVerifier(dns, clock, 10, Duration.ofSeconds(2))
        .verify(new ByteArrayInputStream(msg.getBytes(StandardCharsets.UTF_8)));
  }

  static List<DkimVerifier.Status> statuses(String msg) throws Exception {
    return verify(msg, DNS, CLOCK).signatures().stream().map(DkimVerifier.SignatureResult::status).toList();
  }

  @Test
  void everyCanonicalizationAndAlgorithmRoundTrips() throws Exception {
    for (Canon h : Canon.values()) {
      for (Canon b : Canon.values()) {
        String signed = sign(signer(h, b, null, rsa(), ed()), MSG);
        DkimVerifier.Outcome o = verify(signed, DNS, CLOCK);
        assertThat(o.signatures()).as("%s/%s", h, b).extracting(DkimVerifier.SignatureResult::status)
            .containsExactly(DkimVerifier.Status.DKIM_PASS, DkimVerifier.Status.DKIM_PASS);
        assertThat(o.signatures()).extracting(DkimVerifier.SignatureResult::algorithm)
            .containsExactly("rsa-sha256", "ed25519-sha256");
        assertThat(o.headerFromDomain()).isEqualTo("example.com");
      }
    }
  }

  @Test
  void signatureFieldShape() throws Exception {
    String sig = sign(signer(Canon.RELAXED, Canon.RELAXED, Duration.ofDays(7), rsa()), MSG);
    String field = sig.substring(0, sig.indexOf("\r\nFrom:"));
    for (String line : field.split("\r\n")) {
      assertThat(line.length()).as(line).isLessThanOrEqualTo(78);
    }
    assertThat(field).startsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;")
        .contains("s=rsa;").contains("t=" + NOW.getEpochSecond() + ";")
        .contains("x=" + (NOW.getEpochSecond() + 7 * 86400) + ";").doesNotContain("l=");
    // From and the other oversigned fields appear once more than in the message; absent ones
    // of the default list are not named (except oversigned ones)
    String h = TagList.stripFws(TagList.parse(field.substring(field.indexOf(':') + 1)).get("h"));
    assertThat(h).startsWith("from:from:reply-to:subject:subject:date:date:message-id:message-id:to:to:cc:");
    assertThat(h).doesNotContain("list-id").doesNotContain("received");
    List<DkimVerifier.SignatureResult> r = verify(sig, DNS, CLOCK).signatures();
    assertThat(r.get(0).tags()).containsEntry("s", "rsa").containsKey("h").doesNotContainKeys("b", "bh");
  }

  @Test
  void tamperedCopiesFail() throws Exception {
    String signed = sign(signer(Canon.RELAXED, Canon.RELAXED, null, rsa(), ed()), MSG);
    assertThat(statuses(signed.replace("see you.", "see you!")))
        .containsOnly(DkimVerifier.Status.FAIL);
    assertThat(verify(signed.replace("see you.", "see you!"), DNS, CLOCK).signatures().get(0).reason())
        .isEqualTo("body hash mismatch");
    assertThat(statuses(signed.replace("Subject: Hello", "Subject: Hullo"))).containsOnly(DkimVerifier.Status.FAIL);
    // a From added below or above the signed one
    assertThat(statuses(signed.replace("\r\n\r\nHello", "\r\nFrom: mallory@evil.example\r\n\r\nHello")))
        .containsOnly(DkimVerifier.Status.FAIL);
    assertThat(statuses(signed.replace("From: Alice", "From: mallory@evil.example\r\nFrom: Alice")))
        .containsOnly(DkimVerifier.Status.FAIL);
    // whitespace changes survive relaxed, not simple
    String spaced = signed.replace("Hello  Bob,", "Hello \t Bob,  ").replace("Subject: Hello", "Subject:  Hello");
    assertThat(statuses(spaced)).containsOnly(DkimVerifier.Status.DKIM_PASS);
    String simple = sign(signer(Canon.SIMPLE, Canon.SIMPLE, null, ed()), MSG);
    assertThat(statuses(simple.replace("Hello  Bob", "Hello Bob"))).containsOnly(DkimVerifier.Status.FAIL);
    // appending unsigned text, and trailing empty lines (ignored by both)
    assertThat(statuses(signed + "P.S. buy now\r\n")).containsOnly(DkimVerifier.Status.FAIL);
    // a line without a colon in the header block: readers may show it as the start of the body
    assertThat(statuses(signed.replace("\r\n\r\nHello", "\r\nBuy now\r\n\r\nHello")))
        .containsOnly(DkimVerifier.Status.PERM_ERR);
    assertThat(statuses(signed + "\r\n\r\n")).containsOnly(DkimVerifier.Status.DKIM_PASS);
  }

  @Test
  void dnsOutcomes() throws Exception {
    String signed = sign(signer(Canon.RELAXED, Canon.RELAXED, null, rsa()), MSG);
    TestKeys.MapResolver temp = new TestKeys.MapResolver()
        .put("rsa._domainkey.example.com", TxtResolver.Result.temp("SERVFAIL"));
    assertThat(verify(signed, temp, CLOCK).signatures().get(0).status()).isEqualTo(DkimVerifier.Status.TEMP_ERR);
    DkimVerifier.SignatureResult nx = verify(signed, new TestKeys.MapResolver(), CLOCK).signatures().get(0);
    assertThat(nx.status()).isEqualTo(DkimVerifier.Status.PERM_ERR);
    assertThat(nx.reason()).contains("no key record");
    TestKeys.MapResolver revoked = new TestKeys.MapResolver().put("rsa._domainkey.example.com", "v=DKIM1; k=rsa; p=");
    assertThat(verify(signed, revoked, CLOCK).signatures().get(0).reason()).contains("revoked");
    TestKeys.MapResolver wrongType = new TestKeys.MapResolver().put("rsa._domainkey.example.com",
        DkimKeys.keyRecord(TestKeys.ED25519.getPublic()));
    assertThat(verify(signed, wrongType, CLOCK).signatures().get(0).reason()).contains("does not match");
    TestKeys.MapResolver otherKey = new TestKeys.MapResolver().put("rsa._domainkey.example.com",
        DkimKeys.keyRecord(TestKeys.ED25519.getPublic()), "garbage", DkimKeys.keyRecord(TestKeys.RSA.getPublic()));
    assertThat(verify(signed, otherKey, CLOCK).signatures().get(0).status()).isEqualTo(DkimVerifier.Status.DKIM_PASS);
    TxtResolver hanging = name -> {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return TxtResolver.Result.temp("interrupted");
    };
    String dual = sign(signer(Canon.RELAXED, Canon.RELAXED, null, rsa(), ed()), MSG);
    long t0 = System.nanoTime();
    assertThat(verify(dual, hanging, CLOCK).signatures()).extracting(DkimVerifier.SignatureResult::status)
        .containsOnly(DkimVerifier.Status.TEMP_ERR);
    assertThat(verify(signed, hanging, CLOCK).signatures()).extracting(DkimVerifier.SignatureResult::status)
        .containsExactly(DkimVerifier.Status.TEMP_ERR);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void expiryAndTimestamps() throws Exception {
    String signed = sign(signer(Canon.RELAXED, Canon.RELAXED, Duration.ofHours(1), ed()), MSG);
    Clock later = Clock.fixed(NOW.plus(Duration.ofHours(2)), ZoneOffset.UTC);
    DkimVerifier.SignatureResult r = verify(signed, DNS, later).signatures().get(0);
    assertThat(r.status()).isEqualTo(DkimVerifier.Status.PERM_ERR);
    assertThat(r.reason()).contains("expired");
    Clock earlier = Clock.fixed(NOW.minus(Duration.ofHours(2)), ZoneOffset.UTC);
    assertThat(verify(signed, DNS, earlier).signatures().get(0).reason()).contains("future");
  }

  @Test
  void malformedAndUnsupportedSignatures() throws Exception {
    String body = "From: a@example.com\r\n\r\nx\r\n";
    assertThat(verify("DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=rsa; h=from; bh=AA==; b=AA==\r\n"
        + body, DNS, CLOCK).signatures().get(0).status()).isEqualTo(DkimVerifier.Status.UNKNOWN_ALGO);
    String[] perm = {
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; d=x", // duplicate
        "v=2; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=to; bh=AA==; b=AA==",
        "v=1; a=rsa-sha256; s=rsa; h=from; bh=AA==; b=AA==",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; i=@evil.example",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; c=fancy",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; q=http",
        "v=1; a=rsa-sha256; d=exa mple.com; s=rsa; h=from; bh=AA==; b=AA==",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=A*A==",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; t=5; x=4",
        "v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; bh=AA==; b=AA==; l=-1",
    };
    for (String p : perm) {
      assertThat(verify("DKIM-Signature: " + p + "\r\n" + body, DNS, CLOCK).signatures().get(0).status())
          .as(p).isEqualTo(DkimVerifier.Status.PERM_ERR);
    }
    assertThat(DNS.queries).noneMatch(q -> q.contains("exa mple"));
  }

  @Test
  void limitOnSignatures() throws Exception {
    String signed = MSG;
    for (int i = 0; i < 4; i++) {
      signed = sign(signer(Canon.RELAXED, Canon.RELAXED, null, ed()), signed);
    }
    DkimVerifier.Outcome o = new DkimVerifier(DNS, CLOCK, 3, Duration.ofSeconds(2))
        .verify(new ByteArrayInputStream(signed.getBytes(StandardCharsets.UTF_8)));
    assertThat(o.signatures()).hasSize(3).extracting(DkimVerifier.SignatureResult::status)
        .containsOnly(DkimVerifier.Status.DKIM_PASS);
    assertThat(o.notVerified()).isEqualTo(1);
  }

  @Test
  void rfc8463AndRfc6376VectorsFromDkimpy() throws Exception {
    // dkimpy's copy of the RFC 6376 Appendix A message signed with the RFC 8032 7.1 test key
    // (ed25519, the key of RFC 8463 Appendix A) and dkimpy's RSA test key; bare-LF line endings
    Path msg = Path.of("/usr/lib/python3/dist-packages/dkim/tests/data/rfc6376.signed.msg");
    Path rsaKey = Path.of("/usr/lib/python3/dist-packages/dkim/tests/data/test.txt");
    DkimPeers.require(msg);
    TestKeys.MapResolver dns = new TestKeys.MapResolver()
        .put("brisbane._domainkey.football.example.com",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        .put("test._domainkey.football.example.com", Files.readString(rsaKey).strip());
    String text = Files.readString(msg);
    DkimVerifier.Outcome o = verify(text, dns, Clock.systemUTC());
    assertThat(o.signatures()).extracting(DkimVerifier.SignatureResult::status)
        .containsExactly(DkimVerifier.Status.DKIM_PASS, DkimVerifier.Status.DKIM_PASS);
    assertThat(o.signatures().get(0).headers())
        .containsExactly("from", "to", "subject", "date", "message-id", "from", "subject", "date");
    assertThat(verify(text.replace("Joe.", "Jim."), dns, Clock.systemUTC()).signatures())
        .extracting(DkimVerifier.SignatureResult::status).containsOnly(DkimVerifier.Status.FAIL);
  }
}
