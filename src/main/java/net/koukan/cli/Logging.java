package net.koukan.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * Applies a config file's {@code logging} stanza: {@code level} (the root level) and
 * {@code loggers} ({@code name: level}). Levels: TRACE, DEBUG, INFO, WARN, ERROR, OFF.
 */
final class Logging {
  private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private Logging() {}

  /** Returns an error message (naming the key), or null when applied. */
  static String apply(JsonNode logging) {
    if (logging == null || logging.isNull()) {
      return null;
    }
    if (!logging.isObject()) {
      return "logging: must be a mapping with level and/or loggers";
    }
    for (Iterator<String> it = logging.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("level") && !k.equals("loggers")) {
        return "logging." + k + ": unknown key (expected one of: level, loggers)";
      }
    }
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    if (logging.has("level")) {
      String err = set(ctx.getLogger(Logger.ROOT_LOGGER_NAME), logging.get("level"), "logging.level");
      if (err != null) {
        return err;
      }
    }
    JsonNode loggers = logging.get("loggers");
    if (loggers != null) {
      if (!loggers.isObject()) {
        return "logging.loggers: must be a mapping of logger name to level";
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = loggers.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String err = set(ctx.getLogger(e.getKey()), e.getValue(), "logging.loggers." + e.getKey());
        if (err != null) {
          return err;
        }
      }
    }
    return null;
  }

  private static String set(Logger logger, JsonNode value, String key) {
    if (!value.isTextual() || !LEVELS.contains(value.asText().toUpperCase(java.util.Locale.ROOT))) {
      return key + ": expected one of " + LEVELS + ", got " + value;
    }
    logger.setLevel(Level.toLevel(value.asText().toUpperCase(java.util.Locale.ROOT)));
    return null;
  }
}
