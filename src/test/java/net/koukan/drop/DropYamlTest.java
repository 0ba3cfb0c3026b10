package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import net.koukan.config.ConfigException;
import net.koukan.drop.swift.SwiftAuth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** drop.yaml: defaults merged under sections, errors naming file and key. */
class DropYamlTest {
  @TempDir Path dir;

  @Test
  void readsSectionsWithDefaults() throws Exception {
    Path f = dir.resolve("drop.yaml");
    Files.writeString(f, """
        hostname: drop.example.com
        listen: 127.0.0.1:2525
        defaults: {auth_version: 1, auth_url: "http://127.0.0.1:8080/auth/v1.0", user: "test:tester", key: testing}
        sections:
          ACCEPTANCE: {recipients: [" Whatever@Example.com "], container: acceptance}
          PRODUCTION: {recipients: [swiftdrop@example.com], container: production, delete_after: 3600}
          LOCAL: {recipients: [archive@example.com], folder: /tmp/x}
        """);
    DropConfig c = DropYaml.load(f, null);
    assertThat(c.listenPort()).isEqualTo(2525);
    assertThat(c.maxMessageSize()).isEqualTo(50L << 20);
    assertThat(c.storeTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.sections()).extracting(SectionConfig::name).containsExactly("ACCEPTANCE", "PRODUCTION", "LOCAL");
    assertThat(c.sections().get(0).recipients()).containsExactly("whatever@example.com");
    assertThat(c.sections().get(1).auth()).isInstanceOf(SwiftAuth.V1.class);
    assertThat(c.sections().get(1).deleteAfter()).isEqualTo(Duration.ofHours(1));
    assertThat(c.sections().get(2).folder()).isEqualTo(Path.of("/tmp/x"));
  }

  @Test
  void errorsNameFileAndKey() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, """
        sections:
          A: {recipients: [a@example.com], container: c, auth_url: "http://x/auth/v1.0", user: u, key: k, colour: red}
        """);
    assertThatThrownBy(() -> DropYaml.load(f, null)).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(f.toString()).hasMessageContaining("colour");
    Files.writeString(f, """
        sections:
          A: {recipients: [a@example.com], folder: /tmp/a}
          B: {recipients: [A@example.com], folder: /tmp/b}
        """);
    assertThatThrownBy(() -> DropYaml.load(f, null)).isInstanceOf(DropConfigException.class)
        .hasMessageContaining(f + ": sections.B: recipient a@example.com is also in section A");
  }
}
