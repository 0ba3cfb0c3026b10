package net.koukan.dkim;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * DKIM keys: private keys from PEM files (PKCS#8 {@code PRIVATE KEY} holding RSA or Ed25519, and
 * for convenience PKCS#1 {@code RSA PRIVATE KEY} as written by {@code openssl genrsa} and
 * {@code opendkim-genkey}); public keys in key-record form (RSA: base64 SubjectPublicKeyInfo;
 * Ed25519: base64 of the raw 32-byte key, RFC 8463); key generation for {@code dkim-keygen}.
 */
public final class DkimKeys {
  /** RSA keys below this are refused (RFC 8301). */
  public static final int MIN_RSA_BITS = 1024;
  /** RSA keys below this are accepted with a warning (RFC 8301: signers SHOULD use at least 2048). */
  public static final int RECOMMENDED_RSA_BITS = 2048;

  private static final byte[] ED25519_SPKI_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
      0x70, 0x03, 0x21, 0x00};
  private static final byte[] RSA_ALGORITHM_ID = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48,
      (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

  private DkimKeys() {}

  /** A private key ready to sign, with its algorithm (inferred from the key) and size in bits. */
  public record SigningKey(Algorithm algorithm, PrivateKey key, int bits) {}

  /** Loads a PEM private key file. */
  public static SigningKey load(Path file) throws IOException, GeneralSecurityException {
    return parsePem(Files.readString(file, StandardCharsets.US_ASCII));
  }

  /** Parses a PEM private key; RSA keys below {@link #MIN_RSA_BITS} are refused. */
  public static SigningKey parsePem(String pem) throws GeneralSecurityException {
    int begin = pem.indexOf("-----BEGIN ");
    if (begin < 0) {
      throw new InvalidKeySpecException("no PEM block (-----BEGIN ...-----) found");
    }
    int typeEnd = pem.indexOf("-----", begin + 11);
    if (typeEnd < 0) {
      throw new InvalidKeySpecException("malformed PEM header");
    }
    String type = pem.substring(begin + 11, typeEnd);
    String endMarker = "-----END " + type + "-----";
    int end = pem.indexOf(endMarker, typeEnd);
    if (end < 0) {
      throw new InvalidKeySpecException("no " + endMarker + " line");
    }
    String body = pem.substring(typeEnd + 5, end);
    if (body.contains(":")) {
      throw new InvalidKeySpecException("PEM headers (encrypted key?) are not supported");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(body.strip());
    } catch (IllegalArgumentException e) {
      throw new InvalidKeySpecException("bad base64 in PEM: " + e.getMessage());
    }
    return switch (type) {
      case "PRIVATE KEY" -> fromPkcs8(der);
      case "RSA PRIVATE KEY" -> fromPkcs8(der(0x30, concat(new byte[] {0x02, 0x01, 0x00},
          RSA_ALGORITHM_ID, der(0x04, der))));
      case "ENCRYPTED PRIVATE KEY" -> throw new InvalidKeySpecException(
          "encrypted private keys are not supported: store the key unencrypted with mode 0600");
      default -> throw new InvalidKeySpecException("unsupported PEM type " + type
          + " (need PRIVATE KEY: PKCS#8 RSA or Ed25519)");
    };
  }

  private static SigningKey fromPkcs8(byte[] der) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    PrivateKey k;
    try {
      k = KeyFactory.getInstance("RSA").generatePrivate(spec);
    } catch (InvalidKeySpecException notRsa) {
      try {
        k = KeyFactory.getInstance("Ed25519").generatePrivate(spec);
      } catch (InvalidKeySpecException notEd25519) {
        throw new InvalidKeySpecException("not an RSA or Ed25519 PKCS#8 private key");
      }
      return new SigningKey(Algorithm.ED25519_SHA256, k, 256);
    }
    int bits = ((RSAKey) k).getModulus().bitLength();
    if (bits < MIN_RSA_BITS) {
      throw new InvalidKeySpecException("RSA key of " + bits + " bits is too small (at least "
          + MIN_RSA_BITS + ", RFC 8301)");
    }
    return new SigningKey(Algorithm.RSA_SHA256, k, bits);
  }

  /** PKCS#8 PEM of a private key (64-character lines). */
  public static String toPem(PrivateKey key) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(key.getEncoded());
    return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
  }

  /** A new key pair: RSA of {@code bits} (at least {@link #MIN_RSA_BITS}), or Ed25519. */
  public static KeyPair generate(Algorithm algorithm, int bits) throws GeneralSecurityException {
    if (algorithm == Algorithm.RSA_SHA256) {
      if (bits < MIN_RSA_BITS) {
        throw new IllegalArgumentException("RSA keys need at least " + MIN_RSA_BITS + " bits");
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4));
      return g.generateKeyPair();
    }
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  /** The {@code p=} value of a public key: RSA SubjectPublicKeyInfo, or raw Ed25519 (RFC 8463). */
  public static String publicKeyData(PublicKey key) {
    byte[] spki = key.getEncoded();
    if (key instanceof RSAKey) {
      return Base64.getEncoder().encodeToString(spki);
    }
    if (spki.length == 44 && Arrays.equals(Arrays.copyOf(spki, 12), ED25519_SPKI_PREFIX)) {
      return Base64.getEncoder().encodeToString(Arrays.copyOfRange(spki, 12, 44));
    }
    throw new IllegalArgumentException("not an RSA or Ed25519 public key: " + key.getAlgorithm());
  }

  /** The key record ({@code v=DKIM1; k=...; p=...}) to publish for a public key. */
  public static String keyRecord(PublicKey key) {
    String k = key instanceof RSAKey ? "rsa" : "ed25519";
    return "v=DKIM1; k=" + k + "; p=" + publicKeyData(key);
  }

  /**
   * A zone-file line publishing {@code record}: {@code sel._domainkey.example.com. IN TXT "..." "..."},
   * the text split into character-strings of at most 255 bytes.
   */
  public static String zoneLine(String selector, String domain, String record) {
    StringBuilder sb = new StringBuilder();
    sb.append(selector).append("._domainkey.").append(domain);
    if (!domain.endsWith(".")) {
      sb.append('.');
    }
    sb.append(" IN TXT");
    for (String s : splitStrings(record, 255)) {
      sb.append(" \"").append(s).append('"');
    }
    return sb.toString();
  }

  /** Splits a TXT value into character-strings of at most {@code max} chars. */
  public static List<String> splitStrings(String record, int max) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < record.length(); i += max) {
      out.add(record.substring(i, Math.min(record.length(), i + max)));
    }
    return out;
  }

  /** A public key from a key record's {@code p=} data. */
  static PublicKey publicKey(String keyType, byte[] data) throws GeneralSecurityException {
    if (keyType.equals("ed25519")) {
      if (data.length != 32) {
        throw new InvalidKeySpecException("Ed25519 key is " + data.length + " bytes, not 32");
      }
      return KeyFactory.getInstance("Ed25519")
          .generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI_PREFIX, data)));
    }
    KeyFactory rsa = KeyFactory.getInstance("RSA");
    try {
      return rsa.generatePublic(new X509EncodedKeySpec(data));
    } catch (InvalidKeySpecException e) {
      // some publish a bare PKCS#1 RSAPublicKey: wrap it in a SubjectPublicKeyInfo
      byte[] bitString = der(0x03, concat(new byte[] {0}, data));
      return rsa.generatePublic(new X509EncodedKeySpec(der(0x30, concat(RSA_ALGORITHM_ID, bitString))));
    }
  }

  static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >> 16);
      out.write(n >> 8);
      out.write(n);
    }
    out.write(content, 0, n);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.write(p, 0, p.length);
    }
    return out.toByteArray();
  }
}
