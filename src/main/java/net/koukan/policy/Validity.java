package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * How well-formed a message is (spec §5.3 {@code message_validation}), each level requiring the
 * one below: NONE, the header/body separator is missing; BASIC, the header section ends but its
 * bytes are not ASCII (UTF-8 with SMTPUTF8) without control characters; MEDIUM, it also has
 * exactly one well-formed From, Date and Message-ID; HIGH, no MIME defects anywhere.
 */
public enum Validity {
  NONE, BASIC, MEDIUM, HIGH;

  /** The level in a message_validation signal: {@code validity} (name) or the reference's {@code status} (0–3). */
  static Validity of(JsonNode signal) {
    JsonNode v = signal.get("validity");
    if (v != null && v.isTextual()) {
      try {
        return valueOf(v.asText());
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    JsonNode s = signal.get("status");
    if (s != null && s.isInt() && s.asInt() >= 0 && s.asInt() < values().length) {
      return values()[s.asInt()];
    }
    return null;
  }
}
