package net.koukan.dkim;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Verifies the DKIM-Signature header fields of a message (RFC 6376 §6, RFC 8463, RFC 8301). The
 * message is read once: the header block is held (bounded), the body streams through one body
 * hasher per distinct (canonicalization, {@code l=}) pair. Key records are fetched in parallel
 * (virtual threads), the whole batch bounded by {@code dnsTimeout}.
 *
 * <p>Outcomes per signature: {@code dkim_pass}; {@code fail} (body hash mismatch, signature does not
 * verify, a From field not covered by the signature, or an {@code l=} that does not cover the whole
 * body — see below); {@code temp_err} (DNS timeout or server failure); {@code perm_err} (malformed
 * signature, missing or malformed or revoked key, expired, i= outside d=, RSA key under 1024 bits,
 * a header block holding a line that is not a header field);
 * {@code unknown_algo} (an {@code a=} other than rsa-sha256 and ed25519-sha256, including rsa-sha1,
 * which RFC 8301 forbids verifiers to accept).
 *
 * <p>Policy on {@code l=}: a signature whose {@code l=} is shorter than the canonical body (content
 * was appended after signing, the classic {@code l=} attack) or longer than it fails; only an
 * {@code l=} equal to the body length can pass. Policy on extra From fields (as dkimpy): when the
 * message has more From fields than the signature's {@code h=} names, it fails. Clock skew allowed
 * for {@code t=} (future) and {@code x=} (expired): {@link #CLOCK_SKEW}.
 */
public final class DkimVerifier {
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(15);
  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,76}");
  private static final int MAX_TAG_OUTPUT = 256;

  /** The outcome of one signature. */
  public enum Status {
    DKIM_PASS, FAIL, TEMP_ERR, PERM_ERR, UNKNOWN_ALGO;

    /** The name used in signals: dkim_pass, fail, temp_err, perm_err, unknown_algo. */
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One signature's result. {@code domain}, {@code selector}, {@code algorithm} are as found (null
   * when absent); {@code headers} the lower-cased {@code h=} list; {@code tags} every tag but
   * {@code b} and {@code bh} (values with white space collapsed, cut at 256 chars); {@code reason}
   * is null on pass; {@code testing} when the key record has {@code t=y}.
   */
  public record SignatureResult(Status status, String domain, String selector, String algorithm,
      List<String> headers, Map<String, String> tags, String reason, boolean testing) {}

  /** All results, the author (header From) domain, and how many signatures were over the limit. */
  public record Outcome(List<SignatureResult> signatures, String headerFromDomain, int notVerified) {}

  private final TxtResolver resolver;
  private final Clock clock;
  private final int maxSignatures;
  private final Duration dnsTimeout;
  private final int maxHeaderBytes;

  public DkimVerifier(TxtResolver resolver, Clock clock, int maxSignatures, Duration dnsTimeout) {
    if (maxSignatures < 1) {
      throw new IllegalArgumentException("maxSignatures must be at least 1");
    }
    this.resolver = resolver;
    this.clock = clock;
    this.maxSignatures = maxSignatures;
    this.dnsTimeout = dnsTimeout;
    this.maxHeaderBytes = MessageHeader.DEFAULT_MAX_BYTES;
  }

  /** A signature being checked; {@code result} is set as soon as it is decided. */
  private static final class Sig {
    final HeaderField field;
    Map<String, String> tags = Map.of();
    String domain;
    String selector;
    String algorithmTag;
    List<String> headers = List.of();
    Algorithm algorithm;
    Canon headerCanon = Canon.SIMPLE;
    Canon bodyCanon = Canon.SIMPLE;
    long length = -1;
    String identityDomain;
    byte[] b;
    byte[] bh;
    BodyHasher body;
    boolean testing;
    SignatureResult result;

    Sig(HeaderField field) {
      this.field = field;
    }

    void decide(Status s, String reason) {
      if (result == null) {
        result = new SignatureResult(s, domain, selector, algorithmTag, headers, outputTags(), reason,
            testing);
      }
    }

    Map<String, String> outputTags() {
      Map<String, String> out = new LinkedHashMap<>();
      tags.forEach((k, v) -> {
        if (!k.equals("b") && !k.equals("bh")) {
          String s = utf8(v).replaceAll("[ \t\r\n]+", " ");
          out.put(k, s.length() > MAX_TAG_OUTPUT ? s.substring(0, MAX_TAG_OUTPUT) : s);
        }
      });
      return out;
    }
  }

  public Outcome verify(InputStream message) throws IOException {
    InputStream in = message instanceof BufferedInputStream ? message
        : new BufferedInputStream(message, 64 * 1024);
    List<HeaderField> fields = MessageHeader.read(in, maxHeaderBytes);
    List<Sig> sigs = new ArrayList<>();
    int over = 0;
    for (HeaderField f : fields) {
      if (f.is("dkim-signature")) {
        if (sigs.size() < maxSignatures) {
          sigs.add(new Sig(f));
        } else {
          over++;
        }
      }
    }
    long now = clock.instant().getEpochSecond();
    boolean malformed = fields.stream().anyMatch(f -> f.name() == null);
    for (Sig s : sigs) {
      parse(s, now);
      if (malformed) {
        // a line that is not a field: some readers start the body there, showing unsigned text
        s.decide(Status.PERM_ERR, "malformed header block (a line that is not a header field)");
      }
    }
    // one pass over the body, one hasher per (canonicalization, l=)
    Map<String, BodyHasher> hashers = new HashMap<>();
    for (Sig s : sigs) {
      if (s.result == null) {
        s.body = hashers.computeIfAbsent(s.bodyCanon + "/" + s.length,
            k -> new BodyHasher(s.bodyCanon, s.length));
      }
    }
    if (!hashers.isEmpty()) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        for (BodyHasher h : hashers.values()) {
          h.update(buf, 0, n);
        }
      }
    }
    Map<String, TxtResolver.Result> keys = lookupKeys(sigs);
    long fromCount = fields.stream().filter(f -> f.is("from")).count();
    for (Sig s : sigs) {
      if (s.result == null) {
        check(s, fields, fromCount, keys.get(keyName(s)));
      }
    }
    return new Outcome(sigs.stream().map(s -> s.result).toList(), HeaderFrom.domain(fields), over);
  }

  private void parse(Sig s, long now) {
    try {
      s.tags = TagList.parse(new String(s.field.value(), StandardCharsets.ISO_8859_1));
    } catch (TagList.SyntaxException e) {
      s.decide(Status.PERM_ERR, "signature syntax: " + e.getMessage());
      return;
    }
    Map<String, String> t = s.tags;
    s.domain = t.containsKey("d") ? utf8(t.get("d")).toLowerCase(Locale.ROOT) : null;
    s.selector = t.containsKey("s") ? utf8(t.get("s")) : null;
    s.algorithmTag = t.containsKey("a") ? utf8(t.get("a")).toLowerCase(Locale.ROOT) : null;
    if (t.containsKey("h")) {
      s.headers = Arrays.stream(TagList.stripFws(t.get("h")).split(":", -1))
          .map(x -> x.toLowerCase(Locale.ROOT)).toList();
    }
    if (!"1".equals(t.get("v"))) {
      s.decide(Status.PERM_ERR, t.containsKey("v") ? "unsupported version v=" + t.get("v") : "missing v=");
      return;
    }
    if (s.algorithmTag == null) {
      s.decide(Status.PERM_ERR, "missing a=");
      return;
    }
    s.algorithm = Algorithm.ofTag(s.algorithmTag);
    if (s.algorithm == null) {
      s.decide(Status.UNKNOWN_ALGO, "unsupported algorithm a=" + s.algorithmTag
          + (s.algorithmTag.equals("rsa-sha1") ? " (refused by RFC 8301)" : ""));
      return;
    }
    for (String required : List.of("b", "bh", "d", "h", "s")) {
      if (!t.containsKey(required)) {
        s.decide(Status.PERM_ERR, "missing " + required + "=");
        return;
      }
    }
    if (!Names.isName(s.domain)) {
      s.decide(Status.PERM_ERR, "bad d= domain");
      return;
    }
    if (!Names.isSelector(s.selector)) {
      s.decide(Status.PERM_ERR, "bad s= selector");
      return;
    }
    if (s.headers.stream().anyMatch(String::isEmpty)) {
      s.decide(Status.PERM_ERR, "bad h= list");
      return;
    }
    if (!s.headers.contains("from")) {
      s.decide(Status.PERM_ERR, "h= does not include From");
      return;
    }
    String c = TagList.stripFws(t.getOrDefault("c", "simple/simple"));
    String[] cs = c.split("/", -1);
    try {
      if (cs.length > 2) {
        throw new IllegalArgumentException(c);
      }
      s.headerCanon = Canon.parse(cs[0]);
      s.bodyCanon = cs.length == 2 ? Canon.parse(cs[1]) : Canon.SIMPLE;
    } catch (IllegalArgumentException e) {
      s.decide(Status.PERM_ERR, "unknown canonicalization c=" + c);
      return;
    }
    if (t.containsKey("q") && !Arrays.asList(TagList.stripFws(t.get("q")).split(":")).contains("dns/txt")) {
      s.decide(Status.PERM_ERR, "unsupported query method q=" + t.get("q"));
      return;
    }
    if (t.containsKey("i")) {
      String i = utf8(t.get("i"));
      int at = i.lastIndexOf('@');
      String id = at < 0 ? "" : i.substring(at + 1).toLowerCase(Locale.ROOT);
      if (!(id.equals(s.domain) || id.endsWith("." + s.domain))) {
        s.decide(Status.PERM_ERR, "i= is not in the d= domain");
        return;
      }
      s.identityDomain = id;
    }
    if (t.containsKey("l")) {
      if (!DIGITS.matcher(t.get("l")).matches()) {
        s.decide(Status.PERM_ERR, "bad l= value");
        return;
      }
      s.length = t.get("l").length() > 18 ? Long.MAX_VALUE : Long.parseLong(t.get("l"));
    }
    Long ts = number(s, "t");
    Long xs = number(s, "x");
    if (s.result != null) {
      return;
    }
    long skew = CLOCK_SKEW.toSeconds();
    if (ts != null && xs != null && xs <= ts) {
      s.decide(Status.PERM_ERR, "x= is not after t=");
      return;
    }
    if (xs != null && xs < now - skew) {
      s.decide(Status.PERM_ERR, "signature expired (x=" + xs + ")");
      return;
    }
    if (ts != null && ts > now + skew) {
      s.decide(Status.PERM_ERR, "signature timestamp t=" + ts + " is in the future");
      return;
    }
    s.b = base64(s, "b");
    s.bh = base64(s, "bh");
  }

  private static Long number(Sig s, String tag) {
    String v = s.tags.get(tag);
    if (v == null) {
      return null;
    }
    if (!DIGITS.matcher(v).matches() || v.length() > 18) {
      s.decide(Status.PERM_ERR, "bad " + tag + "= value");
      return null;
    }
    return Long.parseLong(v);
  }

  private static byte[] base64(Sig s, String tag) {
    if (s.result != null) {
      return null;
    }
    try {
      byte[] v = Base64.getDecoder().decode(TagList.stripFws(s.tags.get(tag)));
      if (v.length == 0) {
        s.decide(Status.PERM_ERR, tag + "= is empty");
      }
      return v;
    } catch (IllegalArgumentException e) {
      s.decide(Status.PERM_ERR, tag + "= is not base64");
      return null;
    }
  }

  private static String keyName(Sig s) {
    return s.selector + "._domainkey." + s.domain;
  }

  /** Fetches every needed key record at once; lookups not done by the deadline are TEMP. */
  private Map<String, TxtResolver.Result> lookupKeys(List<Sig> sigs) {
    Map<String, TxtResolver.Result> out = new HashMap<>();
    List<String> names = sigs.stream().filter(s -> s.result == null).map(DkimVerifier::keyName)
        .distinct().toList();
    if (names.isEmpty()) {
      return out;
    }
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    try {
      Map<String, Future<TxtResolver.Result>> futures = new LinkedHashMap<>();
      for (String name : names) {
        futures.put(name, pool.submit(() -> lookup(name)));
      }
      long deadline = System.nanoTime() + dnsTimeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(500);
      for (Map.Entry<String, Future<TxtResolver.Result>> e : futures.entrySet()) {
        try {
          out.put(e.getKey(), e.getValue().get(Math.max(0, deadline - System.nanoTime()),
              TimeUnit.NANOSECONDS));
        } catch (TimeoutException te) {
          out.put(e.getKey(), TxtResolver.Result.temp(e.getKey() + ": DNS timeout"));
        } catch (ExecutionException ee) {
          out.put(e.getKey(), TxtResolver.Result.temp(e.getKey() + ": " + ee.getCause()));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          out.put(e.getKey(), TxtResolver.Result.temp(e.getKey() + ": interrupted"));
        }
      }
    } finally {
      pool.shutdownNow(); // do not wait for lookups past the deadline
    }
    return out;
  }

  private TxtResolver.Result lookup(String name) {
    try {
      return resolver.txt(name);
    } catch (RuntimeException e) {
      return TxtResolver.Result.temp(name + ": " + e);
    }
  }

  private void check(Sig s, List<HeaderField> fields, long fromCount, TxtResolver.Result key) {
    if (key == null || key.status() == TxtResolver.Status.TEMP) {
      s.decide(Status.TEMP_ERR, key == null ? "no DNS answer" : "key lookup: " + key.detail());
      return;
    }
    if (key.status() == TxtResolver.Status.NX) {
      s.decide(Status.PERM_ERR, "no key record: " + key.detail());
      return;
    }
    List<KeyRecord> candidates = new ArrayList<>();
    String problem = null;
    for (String txt : key.records()) {
      try {
        KeyRecord r = KeyRecord.parse(txt);
        if (!r.keyType().equals(s.algorithm.keyType())) {
          problem = "key type k=" + r.keyType() + " does not match a=" + s.algorithmTag;
        } else {
          candidates.add(r);
        }
      } catch (KeyRecord.Invalid e) {
        problem = e.getMessage();
      }
    }
    if (candidates.isEmpty()) {
      s.decide(Status.PERM_ERR, problem == null ? "no usable key record" : problem);
      return;
    }
    s.testing = candidates.stream().anyMatch(KeyRecord::testing);
    if (candidates.stream().allMatch(KeyRecord::strict) && s.identityDomain != null
        && !s.identityDomain.equals(s.domain)) {
      s.decide(Status.PERM_ERR, "key requires i= in d= exactly (t=s)");
      return;
    }
    byte[] bodyHash = s.body.finish();
    long canonical = s.body.canonicalLength();
    if (s.length >= 0 && s.length != canonical) {
      s.decide(Status.FAIL, s.length < canonical
          ? "l=" + s.length + " leaves " + (canonical - s.length) + " body bytes unsigned (refused)"
          : "l=" + s.length + " is longer than the body (" + canonical + ")");
      return;
    }
    if (!MessageDigest.isEqual(bodyHash, s.bh)) {
      s.decide(Status.FAIL, "body hash mismatch");
      return;
    }
    long signedFroms = s.headers.stream().filter("from"::equals).count();
    if (fromCount > signedFroms) {
      s.decide(Status.FAIL, "message has " + fromCount + " From fields, the signature covers "
          + signedFroms);
      return;
    }
    byte[] data = HeaderSelection.signedData(HeaderSelection.select(fields, s.headers, s.field),
        s.headerCanon, HeaderSelection.withoutBValue(s.field.raw()));
    String failure = "signature does not verify";
    for (KeyRecord r : candidates) {
      try {
        if (s.algorithm.verify(r.key(), data, s.b)) {
          s.decide(Status.DKIM_PASS, null);
          return;
        }
      } catch (GeneralSecurityException e) {
        failure = "signature does not verify (" + e.getMessage() + ")";
      }
    }
    s.decide(Status.FAIL, failure);
  }

  private static String utf8(String iso) {
    return new String(iso.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }
}
