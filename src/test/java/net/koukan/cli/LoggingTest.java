package net.koukan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingTest {
  final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  final Level rootBefore = root.getLevel();

  @AfterEach
  void restore() {
    root.setLevel(rootBefore);
    ((Logger) LoggerFactory.getLogger("net.koukan.x")).setLevel(null);
  }

  @Test
  void levelsAreApplied() throws Exception {
    assertThat(Logging.apply(TxJson.MAPPER.readTree("{\"level\": \"warn\", \"loggers\": {\"net.koukan.x\": \"DEBUG\"}}")))
        .isNull();
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    assertThat(((Logger) LoggerFactory.getLogger("net.koukan.x")).getLevel()).isEqualTo(Level.DEBUG);
  }

  @Test
  void badValuesNameTheKey() throws Exception {
    assertThat(Logging.apply(TxJson.MAPPER.readTree("{\"level\": \"LOUD\"}"))).startsWith("logging.level: expected one of");
    assertThat(Logging.apply(TxJson.MAPPER.readTree("{\"loggers\": {\"a\": 3}}"))).startsWith("logging.loggers.a:");
    assertThat(Logging.apply(TxJson.MAPPER.readTree("{\"version\": 1}"))).startsWith("logging.version: unknown key");
    assertThat(Logging.apply(null)).isNull();
  }
}
