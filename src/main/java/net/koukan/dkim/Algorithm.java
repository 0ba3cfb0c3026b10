package net.koukan.dkim;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/**
 * The signing algorithms this build signs and accepts: {@code rsa-sha256} (RFC 6376) and
 * {@code ed25519-sha256} (RFC 8463: PureEdDSA over the SHA-256 hash of the signed data).
 * {@code rsa-sha1} is refused (RFC 8301).
 */
public enum Algorithm {
  RSA_SHA256("rsa-sha256", "rsa"),
  ED25519_SHA256("ed25519-sha256", "ed25519");

  private final String tag;
  private final String keyType;

  Algorithm(String tag, String keyType) {
    this.tag = tag;
    this.keyType = keyType;
  }

  /** The {@code a=} value. */
  public String tag() {
    return tag;
  }

  /** The {@code k=} value of its key records. */
  public String keyType() {
    return keyType;
  }

  /** The algorithm of an {@code a=} value, or null if this build does not support it. */
  public static Algorithm ofTag(String a) {
    for (Algorithm x : values()) {
      if (x.tag.equalsIgnoreCase(a)) {
        return x;
      }
    }
    return null;
  }

  byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
    if (this == RSA_SHA256) {
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(key);
      s.update(data);
      return s.sign();
    }
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(key);
    s.update(sha256(data));
    return s.sign();
  }

  boolean verify(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
    Signature s = Signature.getInstance(this == RSA_SHA256 ? "SHA256withRSA" : "Ed25519");
    s.initVerify(key);
    s.update(this == RSA_SHA256 ? data : sha256(data));
    try {
      return s.verify(signature);
    } catch (java.security.SignatureException e) {
      return false; // malformed signature bytes
    }
  }

  static byte[] sha256(byte[] data) throws GeneralSecurityException {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
