package net.koukan.dkim;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A DKIM key record from DNS (RFC 6376 §3.6.1, RFC 8463): {@code v=DKIM1; k=rsa|ed25519; p=...}
 * with the optional {@code h=} (acceptable hashes), {@code s=} (service types) and {@code t=}
 * (flags: {@code y} testing, {@code s} strict identity). Unknown tags are ignored, as required.
 */
public record KeyRecord(String keyType, PublicKey key, int bits, boolean testing, boolean strict) {

  /** A record that cannot be used; {@link #revoked} when its {@code p=} is empty. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean revoked;

    Invalid(String message, boolean revoked) {
      super(message);
      this.revoked = revoked;
    }

    public boolean revoked() {
      return revoked;
    }
  }

  public static KeyRecord parse(String txt) throws Invalid {
    Map<String, String> tags;
    try {
      tags = TagList.parse(txt);
    } catch (TagList.SyntaxException e) {
      throw new Invalid("key record syntax: " + e.getMessage(), false);
    }
    String v = tags.get("v");
    if (v != null && (!v.equals("DKIM1") || !tags.keySet().iterator().next().equals("v"))) {
      throw new Invalid("not a DKIM1 key record (v=" + v + ")", false);
    }
    String k = tags.getOrDefault("k", "rsa");
    if (!k.equals("rsa") && !k.equals("ed25519")) {
      throw new Invalid("unknown key type k=" + k, false);
    }
    String h = tags.get("h");
    if (h != null && !colonList(h).contains("sha256")) {
      throw new Invalid("key record does not allow sha256 (h=" + h + ")", false);
    }
    String s = tags.get("s");
    if (s != null && !colonList(s).contains("*") && !colonList(s).contains("email")) {
      throw new Invalid("key record is not for email (s=" + s + ")", false);
    }
    List<String> flags = colonList(tags.getOrDefault("t", ""));
    String p = tags.get("p");
    if (p == null) {
      throw new Invalid("key record has no p=", false);
    }
    p = TagList.stripFws(p);
    if (p.isEmpty()) {
      throw new Invalid("key revoked (empty p=)", true);
    }
    byte[] data;
    try {
      data = Base64.getDecoder().decode(p);
    } catch (IllegalArgumentException e) {
      throw new Invalid("p= is not base64: " + e.getMessage(), false);
    }
    PublicKey key;
    try {
      key = DkimKeys.publicKey(k, data);
    } catch (GeneralSecurityException e) {
      throw new Invalid("p= is not a " + k + " public key: " + e.getMessage(), false);
    }
    int bits = key instanceof RSAKey r ? r.getModulus().bitLength() : 256;
    if (key instanceof RSAKey && bits < DkimKeys.MIN_RSA_BITS) {
      throw new Invalid("RSA key of " + bits + " bits is too small (RFC 8301)", false);
    }
    return new KeyRecord(k, key, bits, flags.contains("y"), flags.contains("s"));
  }

  private static List<String> colonList(String s) {
    return Arrays.stream(TagList.stripFws(s).split(":")).filter(x -> !x.isEmpty()).toList();
  }
}
