package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeysTest {

  @Test
  void pkcs8PemRoundTripsAndTheAlgorithmFollowsFromTheKey() throws Exception {
    String rsaPem = DkimKeys.toPem(TestKeys.RSA.getPrivate());
    assertThat(rsaPem).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
    DkimKeys.SigningKey rsa = DkimKeys.parsePem("junk before\n" + rsaPem);
    assertThat(rsa.algorithm()).isEqualTo(Algorithm.RSA_SHA256);
    assertThat(rsa.bits()).isEqualTo(2048);
    DkimKeys.SigningKey ed = DkimKeys.parsePem(DkimKeys.toPem(TestKeys.ED25519.getPrivate()));
    assertThat(ed.algorithm()).isEqualTo(Algorithm.ED25519_SHA256);
  }

  @Test
  void pkcs1RsaPemIsAccepted() throws Exception {
    // PKCS#8 = SEQUENCE { version, algorithm, OCTET STRING { PKCS#1 } }: the PKCS#1 part is the tail
    byte[] pkcs8 = TestKeys.RSA.getPrivate().getEncoded();
    int off = 4 + 3 + 15; // SEQUENCE hdr (30 82 xx xx), INTEGER 0, AlgorithmIdentifier
    assertThat(pkcs8[off]).isEqualTo((byte) 0x04);
    byte[] pkcs1 = Arrays.copyOfRange(pkcs8, off + 4, pkcs8.length);
    String pem = "-----BEGIN RSA PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pkcs1)
        + "\n-----END RSA PRIVATE KEY-----\n";
    assertThat(DkimKeys.parsePem(pem).key().getEncoded()).isEqualTo(pkcs8);
  }

  @Test
  void refusesSmallRsaEncryptedAndOtherKeys() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(768);
    String small = DkimKeys.toPem(g.generateKeyPair().getPrivate());
    assertThatThrownBy(() -> DkimKeys.parsePem(small)).hasMessageContaining("too small");
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    String ecPem = DkimKeys.toPem(ec.generateKeyPair().getPrivate());
    assertThatThrownBy(() -> DkimKeys.parsePem(ecPem)).hasMessageContaining("RSA or Ed25519");
    assertThatThrownBy(() -> DkimKeys.parsePem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
        + "-----END ENCRYPTED PRIVATE KEY-----\n")).hasMessageContaining("encrypted");
    assertThatThrownBy(() -> DkimKeys.parsePem("nothing")).hasMessageContaining("no PEM");
  }

  @Test
  void keyRecordsOfBothKinds() throws Exception {
    String rsa = DkimKeys.keyRecord(TestKeys.RSA.getPublic());
    assertThat(rsa).startsWith("v=DKIM1; k=rsa; p=MIIB");
    KeyRecord r = KeyRecord.parse(rsa);
    assertThat(r.key()).isEqualTo(TestKeys.RSA.getPublic());
    assertThat(r.bits()).isEqualTo(2048);
    String ed = DkimKeys.keyRecord(TestKeys.ED25519.getPublic());
    assertThat(Base64.getDecoder().decode(ed.substring(ed.indexOf("p=") + 2))).hasSize(32); // raw, RFC 8463
    assertThat(KeyRecord.parse(ed).key()).isEqualTo(TestKeys.ED25519.getPublic());
  }

  @Test
  void rfc8463AppendixKey() throws Exception {
    KeyRecord r = KeyRecord.parse("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    assertThat(r.keyType()).isEqualTo("ed25519");
  }

  @Test
  void bareRsaPublicKeyIsAccepted() throws Exception {
    RSAPublicKey k = (RSAPublicKey) TestKeys.RSA.getPublic();
    byte[] spki = k.getEncoded();
    byte[] pkcs1 = Arrays.copyOfRange(spki, 24, spki.length); // after the SPKI header and BIT STRING 00
    assertThat(KeyRecord.parse("k=rsa; p=" + Base64.getEncoder().encodeToString(pkcs1)).key()).isEqualTo(k);
  }

  @Test
  void keyRecordProblems() throws Exception {
    String p = DkimKeys.publicKeyData(TestKeys.RSA.getPublic());
    assertThatThrownBy(() -> KeyRecord.parse("v=DKIM1; p=")).isInstanceOfSatisfying(KeyRecord.Invalid.class,
        e -> assertThat(e.revoked()).isTrue());
    assertThatThrownBy(() -> KeyRecord.parse("v=DKIM2; p=" + p)).hasMessageContaining("DKIM1");
    assertThatThrownBy(() -> KeyRecord.parse("k=rsa; v=DKIM1; p=" + p)).hasMessageContaining("DKIM1");
    assertThatThrownBy(() -> KeyRecord.parse("k=dsa; p=" + p)).hasMessageContaining("unknown key type");
    assertThatThrownBy(() -> KeyRecord.parse("h=sha1; p=" + p)).hasMessageContaining("sha256");
    assertThatThrownBy(() -> KeyRecord.parse("s=tlsrpt; p=" + p)).hasMessageContaining("not for email");
    assertThatThrownBy(() -> KeyRecord.parse("k=ed25519; p=" + p)).hasMessageContaining("not a ed25519");
    assertThatThrownBy(() -> KeyRecord.parse("p=%%%")).hasMessageContaining("base64");
    assertThatThrownBy(() -> KeyRecord.parse("v=DKIM1; k=rsa")).hasMessageContaining("no p=");
    assertThatThrownBy(() -> KeyRecord.parse("v=DKIM1;; p=" + p)).hasMessageContaining("syntax");
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(768);
    String small = DkimKeys.keyRecord(g.generateKeyPair().getPublic());
    assertThatThrownBy(() -> KeyRecord.parse(small)).hasMessageContaining("too small");
    KeyRecord ok = KeyRecord.parse("v=DKIM1; h=sha1:sha256; s=email; t=y:s; x=ignored; p=\r\n " + p);
    assertThat(ok.testing()).isTrue();
    assertThat(ok.strict()).isTrue();
  }

  @Test
  void zoneLineSplitsInto255CharacterStrings() {
    String rec = DkimKeys.keyRecord(TestKeys.RSA.getPublic());
    String line = DkimKeys.zoneLine("sel", "example.com", rec);
    assertThat(line).startsWith("sel._domainkey.example.com. IN TXT \"v=DKIM1; k=rsa; p=");
    List<String> strings = DkimKeys.splitStrings(rec, 255);
    assertThat(strings).hasSizeGreaterThan(1).allMatch(s -> s.length() <= 255);
    assertThat(String.join("", strings)).isEqualTo(rec);
    assertThat(line).contains("\" \"");
  }
}
