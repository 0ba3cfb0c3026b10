package net.koukan.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

/**
 * A problem found by one of our deserializers. Jackson prepends the key path as it unwinds;
 * {@link ConfigMapper} turns it into a {@link ConfigException} with the file position.
 */
final class ConfigProblem extends MismatchedInputException {
  private static final long serialVersionUID = 1L;

  enum Kind {
    /** {@code detail} is the missing key, relative to the exception path. */
    MISSING_KEY,
    /** {@code detail} describes what was expected; the message adds what was found. */
    WRONG_TYPE,
    /** {@code detail} is the whole problem. */
    INVALID
  }

  final Kind kind;
  final String detail;
  /** For {@link Kind#MISSING_KEY}: the record that lacks the key, when known. */
  final transient Class<?> record;

  private ConfigProblem(JsonParser p, Kind kind, String detail, Class<?> record) {
    super(p, detail);
    this.kind = kind;
    this.detail = detail;
    this.record = record;
  }

  static ConfigProblem missingKey(JsonParser p, String key, Class<?> record) {
    return new ConfigProblem(p, Kind.MISSING_KEY, key, record);
  }

  static ConfigProblem wrongType(JsonParser p, String expected) {
    return new ConfigProblem(p, Kind.WRONG_TYPE, expected, null);
  }

  static ConfigProblem invalid(JsonParser p, String problem) {
    return new ConfigProblem(p, Kind.INVALID, problem, null);
  }
}
