package net.koukan.tx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A message-builder body gets its {@code Date} and {@code Message-ID} when it is submitted, if
 * the client gave none: written into the stored spec, they are the same in every attempt and in
 * every recipient's copy, so a message delivered twice (retries are at-least-once) or to several
 * recipients carries one Message-ID, and receivers can de-duplicate on it.
 */
public final class BuilderIds {
  private BuilderIds() {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** {@code delta} with its builder body completed, or {@code delta} itself. */
  public static TxDelta complete(TxDelta delta, Instant now, String fallbackDomain) {
    if (!(delta.body() instanceof BodySpec.Builder b)) {
      return delta;
    }
    ObjectNode spec = b.storedSpec().deepCopy();
    JsonNode hs = spec.get("headers");
    if (hs != null && !hs.isNull() && !hs.isArray()) {
      return delta; // invalid: the message builder refuses it with the reason
    }
    ArrayNode headers = hs == null || hs.isNull() ? spec.putArray("headers") : (ArrayNode) hs;
    boolean date = false;
    boolean id = false;
    String fromDomain = null;
    for (JsonNode h : headers) {
      if (!h.isArray() || h.size() != 2 || !h.get(0).isTextual()) {
        continue;
      }
      String name = h.get(0).asText().toLowerCase(Locale.ROOT);
      JsonNode v = h.get(1);
      switch (name) {
        case "date" -> date = true;
        case "message-id" -> id |= v.isArray() && !v.isEmpty();
        case "from" -> {
          if (v.isArray() && !v.isEmpty()) {
            String a = v.get(0).path("address").asText("");
            String d = a.substring(a.lastIndexOf('@') + 1);
            if (a.contains("@") && d.matches("[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")) {
              fromDomain = d.toLowerCase(Locale.ROOT);
            }
          }
        }
        default -> { }
      }
    }
    if (date && id) {
      return delta;
    }
    if (!date) {
      headers.addArray().add("Date").addObject().put("unix_secs", now.getEpochSecond()).put("tz_offset", 0);
    }
    if (!id) {
      byte[] token = new byte[16];
      RANDOM.nextBytes(token);
      headers.addArray().add("Message-ID").addArray()
          .add(HexFormat.of().formatHex(token) + "@" + (fromDomain != null ? fromDomain : fallbackDomain));
    }
    return new TxDelta(delta.remoteHost(), delta.localHost(), delta.mailFrom(), delta.rcptTo(),
        delta.rcptToListOffset(), new BodySpec.Builder(spec, b.blobs()), delta.smtpMeta(), delta.senderTag(),
        delta.filterOutput());
  }
}
