package net.koukan.smtp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Server TLS from PEM files, with the JDK only: a certificate chain (leaf first) and a private key
 * as PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}) or SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}); encrypted keys are refused. Sockets get TLS 1.2 and 1.3 only.
 */
public final class Tls {
  /** The protocol versions we enable, newest first. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

  private Tls() {}

  /** An SSLContext serving the chain in {@code certPem} with the key in {@code keyPem}. */
  public static SSLContext serverContext(Path certPem, Path keyPem) throws IOException, GeneralSecurityException {
    List<X509Certificate> chain = readCertificates(certPem);
    PrivateKey key = readPrivateKey(keyPem);
    checkPair(key, chain.get(0).getPublicKey(), keyPem, certPem);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    char[] pw = new char[0];
    ks.setKeyEntry("server", key, pw, chain.toArray(new Certificate[0]));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pw);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** Restricts a socket to {@link #PROTOCOLS} (those the provider supports). */
  public static void restrictProtocols(SSLSocket s) {
    List<String> supported = Arrays.asList(s.getSupportedProtocols());
    s.setEnabledProtocols(PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new));
  }

  /** All certificates of a PEM file, in file order. */
  public static List<X509Certificate> readCertificates(Path pem) throws IOException, GeneralSecurityException {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (Block b : blocks(pem)) {
      if (b.type().equals("CERTIFICATE")) {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
      }
    }
    if (out.isEmpty()) {
      throw new IOException(pem + ": no CERTIFICATE block");
    }
    return out;
  }

  /** The first private key of a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC). */
  public static PrivateKey readPrivateKey(Path pem) throws IOException, GeneralSecurityException {
    for (Block b : blocks(pem)) {
      switch (b.type()) {
        case "PRIVATE KEY" -> {
          return pkcs8(b.der(), pem);
        }
        case "RSA PRIVATE KEY" -> {
          if (b.encrypted()) {
            throw new IOException(pem + ": encrypted keys are not supported");
          }
          return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(
              wrapPkcs8(concat(OID_RSA, new byte[] {0x05, 0x00}), b.der())));
        }
        case "EC PRIVATE KEY" -> {
          if (b.encrypted()) {
            throw new IOException(pem + ": encrypted keys are not supported");
          }
          byte[] curve = Der.ecCurveOid(b.der());
          if (curve == null) {
            throw new IOException(pem + ": EC key without named-curve parameters");
          }
          return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
              wrapPkcs8(concat(OID_EC, curve), b.der())));
        }
        case "ENCRYPTED PRIVATE KEY" -> throw new IOException(pem + ": encrypted keys are not supported");
        default -> { }
      }
    }
    throw new IOException(pem + ": no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block");
  }

  private static PrivateKey pkcs8(byte[] der, Path pem) throws IOException {
    for (String alg : List.of("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new IOException(pem + ": unsupported PKCS#8 private key");
  }

  /** Proves that the key belongs to the certificate by signing and verifying a nonce. */
  private static void checkPair(PrivateKey key, PublicKey pub, Path keyPem, Path certPem)
      throws GeneralSecurityException {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (alg == null) {
      return;
    }
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    Signature s = Signature.getInstance(alg);
    s.initSign(key);
    s.update(nonce);
    byte[] sig = s.sign();
    Signature v = Signature.getInstance(alg);
    try {
      v.initVerify(pub);
      v.update(nonce);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type: not a match
    }
    throw new GeneralSecurityException("private key " + keyPem + " does not match the certificate in " + certPem);
  }

  /** PrivateKeyInfo ::= SEQUENCE { version 0, AlgorithmIdentifier, OCTET STRING key }. */
  private static byte[] wrapPkcs8(byte[] algParams, byte[] key) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] algId = Der.tlv(0x30, algParams);
    byte[] octets = Der.tlv(0x04, key);
    return Der.tlv(0x30, concat(version, algId, octets));
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private record Block(String type, byte[] der, boolean encrypted) {}

  private static List<Block> blocks(Path pem) throws IOException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    List<Block> out = new ArrayList<>();
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      String body = m.group(2);
      boolean encrypted = body.contains("Proc-Type:") && body.contains("ENCRYPTED");
      StringBuilder b64 = new StringBuilder();
      for (String line : body.split("\\R")) {
        if (!line.contains(":")) {
          b64.append(line.strip());
        }
      }
      try {
        out.add(new Block(m.group(1), Base64.getDecoder().decode(b64.toString()), encrypted));
      } catch (IllegalArgumentException e) {
        throw new IOException(pem + ": bad base64 in " + m.group(1) + " block", e);
      }
    }
    return out;
  }

  /** The few DER operations the key formats need. */
  static final class Der {
    private Der() {}

    static byte[] tlv(int tag, byte[] content) {
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
      out.writeBytes(content);
      return out.toByteArray();
    }

    /**
     * The named-curve OID (full TLV) in a SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING,
     * [0] OID, [1] BIT STRING }; null when absent.
     */
    static byte[] ecCurveOid(byte[] der) throws IOException {
      int[] seq = header(der, 0, 0x30);
      int p = seq[0];
      int end = seq[0] + seq[1];
      while (p < end) {
        int tag = der[p] & 0xff;
        int[] h = header(der, p, tag);
        if (tag == 0xa0) {
          int[] oid = header(der, h[0], 0x06);
          return Arrays.copyOfRange(der, h[0], oid[0] + oid[1]);
        }
        p = h[0] + h[1];
      }
      return null;
    }

    /** Checks the tag at {@code p}; returns {content offset, content length}. */
    private static int[] header(byte[] der, int p, int tag) throws IOException {
      if (p + 2 > der.length || (der[p] & 0xff) != tag) {
        throw new IOException("malformed DER key");
      }
      int len = der[p + 1] & 0xff;
      int off = p + 2;
      if (len >= 0x80) {
        int nb = len & 0x7f;
        if (nb == 0 || nb > 3 || off + nb > der.length) {
          throw new IOException("malformed DER length");
        }
        len = 0;
        for (int i = 0; i < nb; i++) {
          len = (len << 8) | (der[off++] & 0xff);
        }
      }
      if (off + len > der.length) {
        throw new IOException("truncated DER");
      }
      return new int[] {off, len};
    }
  }
}
