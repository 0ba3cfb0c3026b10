package net.koukan.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Raw filter stanzas and their later binding to a filter's own options record. */
class FilterStanzaTest {
  /** What a filter's options record looks like. */
  record HostPortOption(@Required String host, @Default("25") int port) {}

  record Destination(@Required String endpoint, List<HostPortOption> hostList) {}

  record Policy(@Required String name, List<String> domains, Destination destination) {}

  record RouterOptions(Policy policy, @Default("false") boolean dryRun) {}

  record RestOutputOptions(
      String staticEndpoint,
      @Default("30") Duration rcptTimeout,
      @Default("300") Duration dataTimeout,
      @Default("65536") @Min(1) int chunkSize) {}

  /** A record that checks its own invariants. */
  record Window(@Required int low, @Required int high) {
    Window {
      if (low > high) {
        throw new IllegalArgumentException("low must not exceed high");
      }
    }
  }

  record WindowOptions(Window window) {}

  private static final String YAML = """
      rest_listener:
        addr: [localhost, 8000]
        session_uri: http://localhost:8000
      endpoint:
      - name: out
        chain:
        - filter: router          # line 7
          dry_run: true
          policy:
            name: address_list
            domains: [example.com]
            destination:
              endpoint: gateway
              host_list:
              - host: fake_smtpd  # line 15
                port: 3025
        - filter: rest_output     # line 17
          rcpt_timeout: 2.5
      """;

  private static FilterStanza stanza(String yaml, int index) {
    return RouterConfig.parse(yaml, "f.yaml").endpoint().getFirst().chain().get(index);
  }

  @Test
  void stanzaKeepsNameOptionsAndPosition() {
    FilterStanza router = stanza(YAML, 0);
    assertThat(router.filter()).isEqualTo("router");
    assertThat(router.options().has("filter")).isFalse();
    assertThat(router.options().get("dry_run").asBoolean()).isTrue();
    assertThat(router.file()).isEqualTo("f.yaml");
    assertThat(router.line()).isEqualTo(7);
    assertThat(router.origin().toString()).isEqualTo("f.yaml:7:5");
    assertThat(stanza(YAML, 1).line()).isEqualTo(17);
  }

  @Test
  void bindsNestedOptionsWithDefaults() {
    RouterOptions r = stanza(YAML, 0).bind(RouterOptions.class);
    assertThat(r.dryRun()).isTrue();
    assertThat(r.policy().domains()).containsExactly("example.com");
    assertThat(r.policy().destination().hostList()).containsExactly(new HostPortOption("fake_smtpd", 3025));

    RestOutputOptions o = stanza(YAML, 1).bind(RestOutputOptions.class);
    assertThat(o).isEqualTo(new RestOutputOptions(null, Duration.ofMillis(2500), Duration.ofSeconds(300), 65536));
  }

  @Test
  void unknownKeyDeepInsideAStanza() {
    FilterStanza router = stanza(YAML.replace("    port: 3025", "    prot: 3025"), 0);
    ConfigException e = assertThrows(ConfigException.class, () -> router.bind(RouterOptions.class));
    assertThat(e.getMessage()).isEqualTo("f.yaml:16:11: endpoint[0].chain[0].policy.destination.host_list[0].prot: "
        + "unknown key (expected one of: host, port)");
  }

  @Test
  void unknownKeyAtTheTopOfAStanza() {
    FilterStanza rest = stanza(YAML.replace("rcpt_timeout: 2.5", "rcpt_timout: 2.5"), 1);
    ConfigException e = assertThrows(ConfigException.class, () -> rest.bind(RestOutputOptions.class));
    assertThat(e.getMessage()).isEqualTo("f.yaml:18:5: endpoint[0].chain[1].rcpt_timout: unknown key "
        + "(expected one of: static_endpoint, rcpt_timeout, data_timeout, chunk_size)");
  }

  @Test
  void wrongTypeInsideAStanza() {
    FilterStanza rest = stanza(YAML.replace("rcpt_timeout: 2.5", "rcpt_timeout: soon"), 1);
    ConfigException e = assertThrows(ConfigException.class, () -> rest.bind(RestOutputOptions.class));
    assertThat(e.getMessage()).isEqualTo(
        "f.yaml:18:5: endpoint[0].chain[1].rcpt_timeout: expected a number of seconds, got string \"soon\"");
  }

  @Test
  void missingRequiredKeyInsideAStanza() {
    FilterStanza router = stanza(YAML.replace("        endpoint: gateway\n", ""), 0);
    ConfigException e = assertThrows(ConfigException.class, () -> router.bind(RouterOptions.class));
    assertThat(e.getMessage()).isEqualTo(
        "f.yaml:12:7: endpoint[0].chain[0].policy.destination.endpoint: missing required key");
  }

  @Test
  void nullInsideAStanza() {
    FilterStanza rest = stanza(YAML.replace("rcpt_timeout: 2.5", "chunk_size: ~"), 1);
    ConfigException e = assertThrows(ConfigException.class, () -> rest.bind(RestOutputOptions.class));
    assertThat(e.getMessage()).isEqualTo("f.yaml:18:5: endpoint[0].chain[1].chunk_size: must not be null "
        + "(omit the key to use the default, 65536)");
  }

  @Test
  void minimumInsideAStanza() {
    FilterStanza rest = stanza(YAML.replace("rcpt_timeout: 2.5", "chunk_size: 0"), 1);
    ConfigException e = assertThrows(ConfigException.class, () -> rest.bind(RestOutputOptions.class));
    assertThat(e.getMessage()).isEqualTo("f.yaml:18:5: endpoint[0].chain[1].chunk_size: must be at least 1, got 0");
  }

  @Test
  void errorsFromAStanzaLoadedFromAFile() {
    Path file = Path.of("src/test/resources/config/bad-filter-options.yaml");
    List<FilterStanza> chain = RouterConfig.load(file).endpoint().getFirst().chain();
    ConfigException router = assertThrows(ConfigException.class, () -> chain.get(0).bind(RouterOptions.class));
    assertThat(router.getMessage()).isEqualTo(file + ":13:9: endpoint[0].chain[0].policy.destination.hots_list: "
        + "unknown key (expected one of: endpoint, host_list)");
    ConfigException rest = assertThrows(ConfigException.class, () -> chain.get(1).bind(RestOutputOptions.class));
    assertThat(rest.getMessage()).isEqualTo(
        file + ":15:5: endpoint[0].chain[1].rcpt_timeout: expected a number of seconds, got string \"soon\"");
  }

  @Test
  void recordInvariantFailureIsReportedAtTheRecord() {
    FilterStanza rest = stanza(YAML.replace("rcpt_timeout: 2.5", "window: {low: 5, high: 1}"), 1);
    ConfigException e = assertThrows(ConfigException.class, () -> rest.bind(WindowOptions.class));
    assertThat(e.getMessage()).isEqualTo("f.yaml:18:5: endpoint[0].chain[1].window: low must not exceed high");
  }

  @Test
  void stanzaBuiltInCodeReportsItsOwnLine() {
    ObjectNode options = JsonNodeFactory.instance.objectNode().put("chunk_size", "big");
    FilterStanza s = new FilterStanza("rest_output", options, "generated.yaml", 42);
    assertThat(s.origin().line()).isEqualTo(42);
    ConfigException e = assertThrows(ConfigException.class, () -> s.bind(RestOutputOptions.class));
    assertThat(e.getMessage()).isEqualTo("generated.yaml:42:1: chunk_size: expected an integer, got string \"big\"");
  }

  @Test
  void stanzasFromEqualTextAreEqual() {
    assertThat(stanza(YAML, 0)).isEqualTo(stanza(YAML, 0));
    assertThat(stanza(YAML, 0)).isNotEqualTo(stanza(YAML, 1));
  }
}
