package net.koukan.dkim;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Signs messages for one domain with one or more keys (RFC 8463 recommends an RSA and an Ed25519
 * signature side by side). The message is read once, as a stream: the header block is held (it is
 * bounded), the body only passes through the hash. No {@code l=} is ever produced; {@code t=} is
 * always set, {@code x=} when an expiration is configured. Header fields listed in
 * {@code oversign} are signed once more than they occur, so adding another instance (a second
 * From) breaks the signature. Thread-safe: keep one per configuration.
 */
public final class DkimSigner {

  /** RFC 6376 §5.4.1's list, with MIME, Message-ID and the List-* fields (RFC 2369, 2919, 8058). */
  public static final List<String> DEFAULT_HEADERS = List.of("from", "sender", "reply-to", "subject",
      "date", "message-id", "to", "cc", "mime-version", "content-type", "content-transfer-encoding",
      "content-id", "content-description", "resent-date", "resent-from", "resent-sender",
      "resent-to", "resent-cc", "resent-message-id", "in-reply-to", "references", "list-id",
      "list-help", "list-unsubscribe", "list-unsubscribe-post", "list-subscribe", "list-post",
      "list-owner", "list-archive");

  /** Fields that a reader sees and that must not be added after signing. */
  public static final List<String> DEFAULT_OVERSIGN = List.of("from", "reply-to", "subject", "date",
      "to", "cc", "message-id", "mime-version", "content-type", "content-transfer-encoding");

  /** One key: its selector and private key (the algorithm follows from the key). */
  public record Key(String selector, DkimKeys.SigningKey key) {}

  private static final int LINE = 76;

  private final String domain;
  private final List<Key> keys;
  private final Canon headerCanon;
  private final Canon bodyCanon;
  private final List<String> headers;
  private final Set<String> oversign;
  private final Duration expiration;
  private final Clock clock;
  private final int maxHeaderBytes;

  /**
   * @param headers fields to sign (case-insensitive; must include From)
   * @param oversign fields to sign once more than they occur (should be a subset of headers)
   * @param expiration adds {@code x=} this long after {@code t=}; null for none
   */
  public DkimSigner(String domain, List<Key> keys, Canon headerCanon, Canon bodyCanon,
      List<String> headers, Collection<String> oversign, Duration expiration, Clock clock) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no signing key");
    }
    this.domain = domain;
    this.keys = List.copyOf(keys);
    this.headerCanon = headerCanon;
    this.bodyCanon = bodyCanon;
    Set<String> h = new LinkedHashSet<>();
    headers.forEach(x -> h.add(x.strip().toLowerCase(Locale.ROOT)));
    if (!h.contains("from")) {
      throw new IllegalArgumentException("the signed headers must include From (RFC 6376 §5.4)");
    }
    for (String name : h) {
      if (name.isEmpty() || name.contains(":") || name.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
        throw new IllegalArgumentException("bad header field name: " + name);
      }
    }
    this.headers = List.copyOf(h);
    Set<String> o = new LinkedHashSet<>();
    oversign.forEach(x -> o.add(x.strip().toLowerCase(Locale.ROOT)));
    this.oversign = Set.copyOf(o);
    if (expiration != null && (expiration.isNegative() || expiration.toSeconds() < 1)) {
      throw new IllegalArgumentException("expiration must be at least one second");
    }
    this.expiration = expiration;
    this.clock = clock;
    this.maxHeaderBytes = MessageHeader.DEFAULT_MAX_BYTES;
  }

  public String domain() {
    return domain;
  }

  public List<Key> keys() {
    return keys;
  }

  /**
   * Reads the message and returns the DKIM-Signature header fields to prepend to it (one per key,
   * in key order, each ending in CRLF).
   */
  public byte[] sign(InputStream message) throws IOException, GeneralSecurityException {
    InputStream in = message instanceof BufferedInputStream ? message
        : new BufferedInputStream(message, 64 * 1024);
    List<HeaderField> fields = MessageHeader.read(in, maxHeaderBytes);
    BodyHasher body = new BodyHasher(bodyCanon);
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.read(buf)) > 0) {
      body.update(buf, 0, n);
    }
    String bh = Base64.getEncoder().encodeToString(body.finish());

    List<String> h = new ArrayList<>();
    for (String name : headers) {
      long count = fields.stream().filter(f -> f.is(name)).count();
      if (oversign.contains(name)) {
        count++;
      }
      for (long i = 0; i < count; i++) {
        h.add(name);
      }
    }
    List<HeaderField> selected = HeaderSelection.select(fields, h, null);
    long t = clock.instant().getEpochSecond();

    StringBuilder out = new StringBuilder();
    for (Key key : keys) {
      String unsigned = field(key, t, h, bh);
      byte[] data = HeaderSelection.signedData(selected, headerCanon,
          unsigned.getBytes(StandardCharsets.UTF_8));
      byte[] sig = key.key().algorithm().sign(key.key().key(), data);
      out.append(unsigned).append(foldB(Base64.getEncoder().encodeToString(sig))).append("\r\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The header field up to and including {@code b=}, folded at tag and colon boundaries. */
  private String field(Key key, long t, List<String> h, String bh) {
    List<String> tags = new ArrayList<>();
    tags.add("v=1");
    tags.add("a=" + key.key().algorithm().tag());
    tags.add("c=" + headerCanon.tagValue() + "/" + bodyCanon.tagValue());
    tags.add("d=" + domain);
    tags.add("s=" + key.selector());
    tags.add("t=" + t);
    if (expiration != null) {
      tags.add("x=" + (t + expiration.toSeconds()));
    }
    StringBuilder sb = new StringBuilder("DKIM-Signature:");
    int col = sb.length();
    for (String tag : tags) {
      String spec = tag + ";";
      if (col + 1 + spec.length() > LINE) {
        sb.append("\r\n\t");
        col = 8;
      } else {
        sb.append(' ');
        col++;
      }
      sb.append(spec);
      col += spec.length();
    }
    // h=, folded after colons
    for (int i = 0; i < h.size(); i++) {
      String token = (i == 0 ? "h=" : "") + h.get(i) + (i == h.size() - 1 ? ";" : ":");
      if (i == 0) {
        if (col + 1 + token.length() > LINE) {
          sb.append("\r\n\t");
          col = 8;
        } else {
          sb.append(' ');
          col++;
        }
      } else if (col + token.length() > LINE) {
        sb.append("\r\n\t");
        col = 8;
      }
      sb.append(token);
      col += token.length();
    }
    sb.append("\r\n\tbh=").append(bh).append(';');
    sb.append("\r\n\tb=");
    return sb.toString();
  }

  /** The signature value folded into lines (FWS is allowed anywhere in a base64 value). */
  private static String foldB(String b64) {
    StringBuilder sb = new StringBuilder(b64.length() + 32);
    int first = LINE - 10;
    int rest = LINE - 8;
    int i = Math.min(first, b64.length());
    sb.append(b64, 0, i);
    while (i < b64.length()) {
      int end = Math.min(b64.length(), i + rest);
      sb.append("\r\n\t").append(b64, i, end);
      i = end;
    }
    return sb.toString();
  }
}
