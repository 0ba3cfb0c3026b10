package net.koukan.drop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.koukan.filter.BlobSource;

/**
 * The facts stored with one message in one destination: the envelope (only that destination's
 * recipients, so one container never learns another's), where it came from, and the content's
 * size and digests.
 *
 * @param mailFrom the reverse path ("" for the null sender)
 * @param rcptTo the recipients delivered to this destination, lower-cased
 * @param clientIp the SMTP client's address, or null (queued mode without one)
 * @param helo the EHLO/HELO name, or null
 * @param tls whether the client used TLS
 * @param authUser the authenticated user, or null
 * @param receivedAt when the message was received
 * @param size bytes stored
 * @param md5 hex MD5 of the bytes (sent as ETag; Swift answers 422 if it disagrees)
 * @param sha256 hex SHA-256 of the bytes (consumers de-duplicate with it)
 */
public record Receipt(String mailFrom, List<String> rcptTo, String clientIp, String helo, boolean tls,
    String authUser, Instant receivedAt, long size, String md5, String sha256) {

  /** Swift's default {@code max_meta_value_length}. */
  public static final int MAX_META_VALUE = 256;
  /** Prefix of the envelope sidecar objects. */
  public static final String SIDECAR_PREFIX = "envelope/";

  private static final ObjectMapper JSON = new ObjectMapper();

  public Receipt {
    rcptTo = List.copyOf(rcptTo);
  }

  /** Size and digests of {@code content}, read once, streamed. */
  public record Digest(long size, String md5, String sha256) {}

  public static Digest digest(BlobSource content) throws IOException {
    MessageDigest md5;
    MessageDigest sha;
    try {
      md5 = MessageDigest.getInstance("MD5");
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long n = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = content.open()) {
      int r;
      while ((r = in.read(buf)) > 0) {
        md5.update(buf, 0, r);
        sha.update(buf, 0, r);
        n += r;
      }
    }
    HexFormat hex = HexFormat.of();
    return new Digest(n, hex.formatHex(md5.digest()), hex.formatHex(sha.digest()));
  }

  /** The same receipt for another destination's recipients. */
  public Receipt withRcptTo(List<String> rcpts) {
    return new Receipt(mailFrom, rcpts, clientIp, helo, tls, authUser, receivedAt, size, md5, sha256);
  }

  /**
   * Whether the envelope does not fit Swift's metadata (a value over 256 bytes, or a character
   * an HTTP header cannot carry): then it goes into a JSON sidecar object.
   */
  public boolean needsSidecar() {
    return !fits(mailFrom) || !fits(String.join(",", rcptTo));
  }

  private static boolean fits(String v) {
    return v.length() <= MAX_META_VALUE && printable(v);
  }

  private static boolean printable(String v) {
    return v.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
  }

  /**
   * The {@code X-Object-Meta-*} headers. With a sidecar ({@code sidecarName} not null) the
   * addresses are left out and {@code X-Object-Meta-Envelope} names the sidecar.
   */
  public Map<String, String> metadata(String sidecarName) {
    Map<String, String> m = new LinkedHashMap<>();
    if (sidecarName != null) {
      m.put("X-Object-Meta-Envelope", sidecarName);
    } else {
      m.put("X-Object-Meta-Mail-From", mailFrom.isEmpty() ? "<>" : mailFrom);
      m.put("X-Object-Meta-Rcpt-To", String.join(",", rcptTo));
    }
    m.put("X-Object-Meta-Rcpt-Count", Integer.toString(rcptTo.size()));
    if (clientIp != null) {
      m.put("X-Object-Meta-Client-Ip", clientIp);
    }
    if (helo != null && !helo.isEmpty()) {
      m.put("X-Object-Meta-Helo", clean(helo));
    }
    m.put("X-Object-Meta-Tls", Boolean.toString(tls));
    if (authUser != null) {
      m.put("X-Object-Meta-Auth-User", clean(authUser));
    }
    m.put("X-Object-Meta-Received-At", receivedAt.toString());
    m.put("X-Object-Meta-Sha256", sha256);
    return m;
  }

  private static String clean(String v) {
    StringBuilder sb = new StringBuilder(Math.min(v.length(), MAX_META_VALUE));
    for (int i = 0; i < v.length() && sb.length() < MAX_META_VALUE; i++) {
      char c = v.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }

  /** The whole receipt as JSON (the sidecar object; the Maildir target's envelope file). */
  public byte[] json(String objectName) {
    ObjectNode o = JSON.createObjectNode();
    o.put("object", objectName);
    o.put("mail_from", mailFrom);
    ArrayNode to = o.putArray("rcpt_to");
    rcptTo.forEach(to::add);
    o.put("client_ip", clientIp);
    o.put("helo", helo);
    o.put("tls", tls);
    o.put("auth_user", authUser);
    o.put("received_at", receivedAt.toString());
    o.put("size", size);
    o.put("md5", md5);
    o.put("sha256", sha256);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
