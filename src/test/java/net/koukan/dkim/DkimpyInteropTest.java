package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.koukan.filter.FilterTx;
import net.koukan.testing.Dnsmasq;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black-box interoperability with dkimpy (the independent oracle), keys published in a real DNS
 * server: dnsmasq on a free loopback port ({@code --no-resolv --no-hosts}, {@code --local} so
 * unknown names are NXDOMAIN), queried by our dnsjava resolver and by dkimpy (through
 * dnspython pointed at the same port, since {@code dkimverify} only uses the system resolver).
 * Keys: ours made by {@code koukan dkim-keygen} (its printed TXT strings are what we publish),
 * dkimpy's made by {@code dknewkey}.
 */
class DkimpyInteropTest {
  static final String DOMAIN = "example.com";

  @TempDir
  static Path dir;
  static Dnsmasq dns;
  static DkimKeys.SigningKey ourRsa;
  static DkimKeys.SigningKey ourEd;
  static Map<String, byte[]> corpus;

  @BeforeAll
  static void setUp() throws Exception {
    DkimPeers.requireDkimpy();
    corpus = DkimPeers.corpus();
    // our keys, through the CLI; publish exactly the strings it printed
    List<String> records = new ArrayList<>();
    for (String[] k : new String[][] {{"rsa", "ours-rsa"}, {"ed25519", "ours-ed"}}) {
      var run = DkimKeygenCommandTest.keygen("--algorithm", k[0], "--selector", k[1], "--domain", DOMAIN,
          "--out", dir.resolve("keys").toString());
      assertThat(run.exit()).as(run.err()).isZero();
      records.add("--txt-record=" + k[1] + "._domainkey." + DOMAIN + "," + String.join(",", strings(run.out())));
    }
    ourRsa = DkimKeys.load(dir.resolve("keys/ours-rsa.key"));
    ourEd = DkimKeys.load(dir.resolve("keys/ours-ed.key"));
    // dkimpy's keys; dnsmasq splits the long RSA record into 255-byte strings itself
    Path py = Files.createDirectories(dir.resolve("py"));
    DkimPeers.run(List.of(DkimPeers.DKNEWKEY.toString(), "pyrsa"), null, py);
    DkimPeers.run(List.of(DkimPeers.DKNEWKEY.toString(), "--ktype", "ed25519", "pyed"), null, py);
    for (String name : List.of("pyrsa", "pyed")) {
      records.add("--txt-record=" + name + "._domainkey." + DOMAIN + ","
          + Files.readString(py.resolve(name + ".dns")).strip());
    }
    records.add("--local=/" + DOMAIN + "/");
    dns = Dnsmasq.start(dir, records.toArray(String[]::new));
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (dns != null) {
      dns.close();
    }
  }

  /** The character-strings of a zone line, as dnsmasq's comma-separated list. */
  static List<String> strings(String zoneLine) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(zoneLine);
    while (m.find()) {
      assertThat(m.group(1)).doesNotContain(",");
      out.add(m.group(1));
    }
    return out;
  }

  static DkimVerifier ourVerifier() {
    return new DkimVerifier(new DnsjavaTxtResolver(DnsjavaTxtResolver.parseServer(dns.address()),
        Duration.ofSeconds(5)), Clock.systemUTC(), 10, Duration.ofSeconds(5));
  }

  static List<DkimVerifier.Status> ours(byte[] message) throws Exception {
    return ourVerifier().verify(new ByteArrayInputStream(message)).signatures().stream()
        .map(DkimVerifier.SignatureResult::status).toList();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Body changed, a signed header changed, a second From added (at the top of the original header). */
  static Map<String, byte[]> tampered(byte[] signed, int signatureBytes) {
    String s = new String(signed, StandardCharsets.ISO_8859_1);
    Map<String, byte[]> out = new LinkedHashMap<>();
    String extra = s.contains("\r\n\r\n") ? "Tampered line\r\n" : "\r\n\r\nTampered line\r\n";
    out.put("body", (s + extra).getBytes(StandardCharsets.ISO_8859_1));
    out.put("subject", s.replaceFirst("\r\nSubject: ", "\r\nSubject: Re: ").getBytes(StandardCharsets.ISO_8859_1));
    out.put("from", (s.substring(0, signatureBytes) + "From: Mallory <mallory@evil.example>\r\n"
        + s.substring(signatureBytes)).getBytes(StandardCharsets.ISO_8859_1));
    return out;
  }

  @Test
  void dkimpyVerifiesOurSignatures() throws Exception {
    DkimSigner.Key rsa = new DkimSigner.Key("ours-rsa", ourRsa);
    DkimSigner.Key ed = new DkimSigner.Key("ours-ed", ourEd);
    record Config(String name, Canon h, Canon b, List<DkimSigner.Key> keys) {}
    List<Config> configs = List.of(
        new Config("rsa-rr", Canon.RELAXED, Canon.RELAXED, List.of(rsa)),
        new Config("ed-rr", Canon.RELAXED, Canon.RELAXED, List.of(ed)),
        new Config("dual-ss", Canon.SIMPLE, Canon.SIMPLE, List.of(rsa, ed)),
        new Config("dual-rs", Canon.RELAXED, Canon.SIMPLE, List.of(ed, rsa)),
        new Config("dual-sr", Canon.SIMPLE, Canon.RELAXED, List.of(rsa, ed)));
    Path out = Files.createDirectories(dir.resolve("ours"));
    List<Path> good = new ArrayList<>();
    List<Path> bad = new ArrayList<>();
    Map<Path, Integer> expected = new LinkedHashMap<>();
    for (Config c : configs) {
      DkimSigner signer = new DkimSigner(DOMAIN, c.keys(), c.h(), c.b(), DkimSigner.DEFAULT_HEADERS,
          DkimSigner.DEFAULT_OVERSIGN, Duration.ofDays(1), Clock.systemUTC());
      for (Map.Entry<String, byte[]> m : corpus.entrySet()) {
        byte[] sig = signer.sign(new ByteArrayInputStream(m.getValue()));
        byte[] signed = concat(sig, m.getValue());
        Path f = out.resolve(c.name() + "-" + m.getKey());
        Files.write(f, signed);
        good.add(f);
        expected.put(f, c.keys().size());
        assertThat(ours(signed)).as(f.toString()).hasSize(c.keys().size())
            .containsOnly(DkimVerifier.Status.DKIM_PASS);
        for (Map.Entry<String, byte[]> t : tampered(signed, sig.length).entrySet()) {
          Path tf = out.resolve(c.name() + "-" + t.getKey() + "-" + m.getKey());
          Files.write(tf, t.getValue());
          bad.add(tf);
          assertThat(ours(t.getValue())).as(tf.toString()).doesNotContain(DkimVerifier.Status.DKIM_PASS);
        }
      }
    }
    List<Path> all = new ArrayList<>(good);
    all.addAll(bad);
    Map<String, List<Boolean>> verdicts = DkimPeers.dkimpyVerify(dns.port, all);
    for (Path f : good) {
      assertThat(verdicts.get(f.toString())).as("dkimpy on " + f.getFileName())
          .hasSize(expected.get(f)).containsOnly(true);
    }
    for (Path f : bad) {
      assertThat(verdicts.get(f.toString())).as("dkimpy on tampered " + f.getFileName())
          .isNotEmpty().containsOnly(false);
    }
  }

  @Test
  void weVerifyDkimsignSignaturesAndRejectTamperedCopies() throws Exception {
    Path py = dir.resolve("py");
    Path corpusDir = Files.createDirectories(dir.resolve("corpus-crlf"));
    for (Map.Entry<String, byte[]> m : corpus.entrySet()) {
      Files.write(corpusDir.resolve(m.getKey()), m.getValue());
    }
    record Signed(String what, String alg, String canon, String file, byte[] message) {}
    List<Signed> all = new ArrayList<>();
    for (String[] alg : new String[][] {{"rsa-sha256", "pyrsa"}, {"ed25519-sha256", "pyed"}}) {
      String key = py.resolve(alg[1] + ".key").toString();
      // the dkimsign command itself (relaxed/relaxed), one process per message, side by side
      Map<String, java.util.concurrent.Future<byte[]>> jobs = new LinkedHashMap<>();
      try (var pool = java.util.concurrent.Executors.newFixedThreadPool(
          Runtime.getRuntime().availableProcessors())) {
        for (Map.Entry<String, byte[]> m : corpus.entrySet()) {
          jobs.put(m.getKey(), pool.submit(() -> DkimPeers.run(List.of(DkimPeers.DKIMSIGN.toString(),
              "--signalg", alg[0], "--hcanon", "relaxed", "--bcanon", "relaxed", alg[1], DOMAIN, key),
              m.getValue(), null)));
        }
      }
      for (var j : jobs.entrySet()) {
        all.add(new Signed("dkimsign", alg[0], "relaxed/relaxed", j.getKey(), j.getValue().get()));
      }
      // the other canonicalizations through the same dkimpy calls, one process per batch
      for (String canon : List.of("simple/simple", "relaxed/simple", "simple/relaxed")) {
        String[] c = canon.split("/");
        Path out = Files.createDirectories(dir.resolve("py-" + alg[1] + "-" + c[0] + "-" + c[1]));
        List<String> cmd = new ArrayList<>(List.of(DkimPeers.PYTHON.toString(),
            DkimPeers.resource("dkimpy_tool.py").toString(), "sign-batch", alg[1], DOMAIN, key, alg[0],
            c[0], c[1], out.toString()));
        corpus.keySet().forEach(f -> cmd.add(corpusDir.resolve(f).toString()));
        DkimPeers.run(cmd, null, null);
        for (String f : corpus.keySet()) {
          all.add(new Signed("dkimpy", alg[0], canon, f, Files.readAllBytes(out.resolve(f))));
        }
      }
    }
    assertThat(all).hasSize(2 * 4 * corpus.size());
    for (Signed sgn : all) {
      String what = sgn.what() + " " + sgn.alg() + " " + sgn.canon() + " " + sgn.file();
      DkimVerifier.Outcome o = ourVerifier().verify(new ByteArrayInputStream(sgn.message()));
      assertThat(o.signatures()).as(what).hasSize(1);
      assertThat(o.signatures().get(0).status()).as(what + ": " + o.signatures().get(0).reason())
          .isEqualTo(DkimVerifier.Status.DKIM_PASS);
      assertThat(o.signatures().get(0).algorithm()).isEqualTo(sgn.alg());
      assertThat(o.signatures().get(0).tags()).containsEntry("c", sgn.canon());
      int sigLen = sgn.message().length - corpus.get(sgn.file()).length;
      for (Map.Entry<String, byte[]> t : tampered(sgn.message(), sigLen).entrySet()) {
        assertThat(ours(t.getValue())).as(what + " tampered " + t.getKey())
            .containsExactly(DkimVerifier.Status.FAIL);
      }
    }
  }

  @Test
  void bodyLengthTagsPassOnlyWhenTheyCoverTheWholeBody() throws Exception {
    Path py = dir.resolve("py");
    byte[] msg = corpus.get("plain.eml");
    byte[] signed = DkimPeers.run(List.of(DkimPeers.PYTHON.toString(),
        DkimPeers.resource("dkimpy_tool.py").toString(), "sign-length", "pyrsa", DOMAIN,
        py.resolve("pyrsa.key").toString(), "rsa-sha256", "relaxed", "relaxed"), msg, null);
    assertThat(new String(signed, StandardCharsets.US_ASCII)).contains("l=");
    assertThat(ours(signed)).containsExactly(DkimVerifier.Status.DKIM_PASS);
    byte[] appended = concat(signed, "Unsigned advertising appended by a list\r\n".getBytes(StandardCharsets.US_ASCII));
    DkimVerifier.SignatureResult r = ourVerifier().verify(new ByteArrayInputStream(appended)).signatures().get(0);
    assertThat(r.status()).isEqualTo(DkimVerifier.Status.FAIL);
    assertThat(r.reason()).contains("unsigned");
    // dkimpy itself accepts the appended copy: the policy difference is ours, on purpose
    Path f = dir.resolve("appended.eml");
    Files.write(f, appended);
    assertThat(DkimPeers.dkimpyVerify(dns.port, List.of(f)).get(f.toString())).containsExactly(true);
  }

  @Test
  void filtersOverRealDns() throws Exception {
    // dkim_sign with both keys, relative to the config directory, checked by dkimpy and dkim_check
    var sign = new DkimSignFilter.Factory(Clock.systemUTC(), dir).prepare(FilterTestSupport.stanza("dkim_sign", """
        domain: example.com
        keys:
        - {selector: ours-rsa, key: keys/ours-rsa.key}
        - {selector: ours-ed, key: keys/ours-ed.key}
        """));
    var check = new DkimCheckFilter.Factory(Clock.systemUTC(), null).prepare(FilterTestSupport.stanza("dkim_check",
        "resolver: '" + dns.address() + "'\ntimeout: 3"));
    for (String name : List.of("plain.eml", "multipart.eml", "eightbit.eml")) {
      FilterTx tx = FilterTestSupport.tx(corpus.get(name));
      FilterTestSupport.Downstream next = new FilterTestSupport.Downstream();
      sign.get().update(tx, FilterTestSupport.ALL, (t, d) -> check.get().update(t, d, next));
      Path f = dir.resolve("filtered-" + name);
      Files.write(f, next.bodies.get(0));
      assertThat(DkimPeers.dkimpyVerify(dns.port, List.of(f)).get(f.toString())).containsExactly(true, true);
      JsonNode out = tx.filterOutput().get("dkim_check");
      assertThat(out.get("signatures")).extracting(s -> s.get("status").asText())
          .containsExactly("dkim_pass", "dkim_pass");
      String alignment = name.equals("multipart.eml") ? "same_sld" : "domain"; // From: news@mail.example.com
      assertThat(out.get("signatures")).extracting(s -> s.get("alignment").asText()).containsOnly(alignment);
    }
    // a selector that is not published: NXDOMAIN from the server, a permanent error
    DkimSigner unpublished = new DkimSigner(DOMAIN, List.of(new DkimSigner.Key("nosuch", ourEd)),
        Canon.RELAXED, Canon.RELAXED, DkimSigner.DEFAULT_HEADERS, DkimSigner.DEFAULT_OVERSIGN, null,
        Clock.systemUTC());
    byte[] msg = corpus.get("plain.eml");
    FilterTx tx = FilterTestSupport.tx(concat(unpublished.sign(new ByteArrayInputStream(msg)), msg));
    check.get().update(tx, FilterTestSupport.BODY, (t, d) -> { });
    JsonNode sig = tx.filterOutput().get("dkim_check").get("signatures").get(0);
    assertThat(sig.get("status").asText()).isEqualTo("perm_err");
    assertThat(sig.get("reason").asText()).contains("nosuch._domainkey.example.com");
  }

  @Test
  void aDeadResolverIsATemporaryErrorWithinTheTimeout() throws Exception {
    int port;
    try (var s = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // bound and silent while we query it
      DkimVerifier v = new DkimVerifier(new DnsjavaTxtResolver(DnsjavaTxtResolver.parseServer("127.0.0.1:" + port),
          Duration.ofSeconds(1)), Clock.systemUTC(), 10, Duration.ofSeconds(1));
      DkimSigner signer = new DkimSigner(DOMAIN, List.of(new DkimSigner.Key("ours-rsa", ourRsa),
          new DkimSigner.Key("ours-ed", ourEd)), Canon.RELAXED, Canon.RELAXED, DkimSigner.DEFAULT_HEADERS,
          DkimSigner.DEFAULT_OVERSIGN, null, Clock.systemUTC());
      byte[] msg = corpus.get("plain.eml");
      long t0 = System.nanoTime();
      var o = v.verify(new ByteArrayInputStream(concat(signer.sign(new ByteArrayInputStream(msg)), msg)));
      assertThat(o.signatures()).extracting(DkimVerifier.SignatureResult::status)
          .containsOnly(DkimVerifier.Status.TEMP_ERR);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
  }
}
