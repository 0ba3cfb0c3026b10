package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Response;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The {@code smtp_output} stanza: defaults, strict binding, errors with file:line and key. */
class SmtpOutputFactoryTest {

  static FilterStanza stanza(String yamlOptions) {
    String yaml = """
        rest_listener:
          addr: [localhost, 8000]
          session_uri: http://localhost:8000
        endpoint:
        - name: out
          chain:
          - filter: smtp_output
        """ + yamlOptions.indent(4);
    return RouterConfig.parse(yaml, "r.yaml").endpoint().getFirst().chain().getFirst();
  }

  @Test
  void defaults() {
    SmtpOutputOptions o = stanza("ehlo_host: mx.example.com").bind(SmtpOutputOptions.class);
    assertThat(o).isEqualTo(new SmtpOutputOptions("mx.example.com", 25, null, "smtp", true, true,
        1048576, "opportunistic", null, Duration.ofSeconds(30), Duration.ofSeconds(300),
        Duration.ofSeconds(300), Duration.ofSeconds(120), Duration.ofSeconds(180), Duration.ofSeconds(600),
        true, Duration.ofSeconds(2), Duration.ofSeconds(300)));
    assertThat(new SmtpOutputFactory().name()).isEqualTo("smtp_output");
    assertThat(new SmtpOutputFactory().prepare(stanza("ehlo_host: mx.example.com")).get())
        .isInstanceOf(SmtpOutputFilter.class);
  }

  @Test
  void everyOption() {
    SmtpOutputOptions o = stanza("""
        ehlo_host: mx.example.com
        port: 2525
        hosts:
        - host: mx1.example.net
        - {host: 192.0.2.7, port: 26}
        protocol: lmtp
        enable_bdat: false
        enable_pipelining: false
        chunk_size: 4096
        tls: verify
        tls_ca_file: ca.pem
        connect_timeout: 1.5
        greeting_timeout: 2
        command_timeout: 3
        data_init_timeout: 4
        data_block_timeout: 5
        data_timeout: 6
        connection_reuse: false
        connection_cache_time: 0.5
        connection_reuse_time_limit: 60
        """).bind(SmtpOutputOptions.class);
    assertThat(o.connectionReuse()).isFalse();
    assertThat(o.connectionCacheTime()).isEqualTo(Duration.ofMillis(500));
    assertThat(o.connectionReuseTimeLimit()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.hosts()).containsExactly(new SmtpOutputOptions.Host("mx1.example.net", null),
        new SmtpOutputOptions.Host("192.0.2.7", 26));
    assertThat(o.connectTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.protocol()).isEqualTo("lmtp");
    assertThat(o.chunkSize()).isEqualTo(4096);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "port: 25                          | r.yaml:7:5: endpoint[0].chain[0].ehlo_host: missing required key",
      "ehlo_host: a\\nprotocol: esmtp     | r.yaml:9:5: endpoint[0].chain[0].protocol: expected smtp or lmtp, got \"esmtp\"",
      "ehlo_host: a\\ntls: yes            | r.yaml:9:5: endpoint[0].chain[0].tls: expected none, opportunistic or verify",
      "ehlo_host: a\\ntls_ca_file: x.pem  | r.yaml:9:5: endpoint[0].chain[0].tls_ca_file: only used with tls: verify",
      "ehlo_host: a\\nport: 70000         | endpoint[0].chain[0].port: must be between 1 and 65535",
      "ehlo_host: a\\nchunk_size: 0       | endpoint[0].chain[0].chunk_size",
      "ehlo_host: a\\nhosts: []           | endpoint[0].chain[0].hosts: must name at least one host",
      "ehlo_host: a\\nhosts: [{host: h, port: 0}] | endpoint[0].chain[0].hosts: entry 1: port must be between 1 and 65535",
      "ehlo_host: a\\ncommand_timeout: 0  | endpoint[0].chain[0].command_timeout: must be more than 0",
      "ehlo_host: a\\nconnection_cache_time: 0 | endpoint[0].chain[0].connection_cache_time: must be more than 0",
      "ehlo_host: a b                    | endpoint[0].chain[0].ehlo_host: ehloHost must be a name without spaces",
      "ehlo_host: a\\nenable_bdat: yes    | endpoint[0].chain[0].enable_bdat: expected a boolean",
      "ehlo_host: a\\nverify: true        | endpoint[0].chain[0].verify: unknown key",
      "ehlo_host: a\\ntls: verify\\ntls_ca_file: /nonexistent.pem | tls_ca_file: cannot set up TLS"})
  void errorsNameTheKey(String yaml, String message) {
    FilterStanza s = stanza(yaml.replace("\\n", "\n"));
    assertThatThrownBy(() -> new SmtpOutputFactory().prepare(s))
        .isInstanceOf(ConfigException.class).hasMessageContaining(message.trim());
  }

  /** Port 0 in a resolution entry (no port known) means the {@code port} option. */
  @Test
  void resolutionWithoutPortUsesTheDefaultPortAndNoHostIsATemporaryFailure() {
    Chain chain = new Chain(List.of(new SmtpOutputFactory().prepare(new FilterStanza("smtp_output",
        json("{\"ehlo_host\": \"a\", \"port\": 9, \"connect_timeout\": 2}"), "t.yaml", 1)).get()));
    FilterTx tx = Fixtures.tx("a@example.com", "b@example.net");
    tx.resolution(List.of(new HostPort("127.0.0.1", 0)));
    chain.update(tx, new Delta(true, List.of(0), false));
    chain.close();
    assertThat(tx.mailResponse().code()).isEqualTo(451);
    assertThat(tx.mailResponse().message()).startsWith("4.4.1 smtp_output: connection to 127.0.0.1:9 failed: ");
    assertThat(tx.rcptResponse(0)).isEqualTo(new Response(503, "5.5.1 failed precondition: MAIL"));

    FilterTx none = Fixtures.tx("a@example.com", "b@example.net");
    Chain c2 = new Chain(List.of(new SmtpOutputFactory().prepare(new FilterStanza("smtp_output",
        json("{\"ehlo_host\": \"a\"}"), "t.yaml", 1)).get()));
    c2.update(none, new Delta(true, List.of(0), false));
    c2.close();
    assertThat(none.mailResponse()).isEqualTo(new Response(451, "4.4.4 smtp_output: no host to deliver to"));
  }
}
