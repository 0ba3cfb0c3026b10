package net.koukan.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Defaults, optional stanzas and the sender/tag overlay. */
class RouterConfigBindingTest {
  private static final String LISTENER = """
      rest_listener:
        addr: [localhost, 8000]
        session_uri: http://localhost:8000
      """;

  private static RouterConfig parse(String yaml) {
    return RouterConfig.parse(yaml, "test.yaml");
  }

  @Test
  void everyOptionalStanzaMayBeAbsent() {
    RouterConfig c = RouterConfig.load(Path.of("src/test/resources/config/minimal.yaml"));
    assertThat(c.global()).isEqualTo(new GlobalConfig(true,
        new ExecutorsConfig(new ExecutorConfig(1000, Duration.ofSeconds(30)), new ExecutorConfig(1000, Duration.ofSeconds(30))),
        null, 16));
    assertThat(c.restListener()).isEqualTo(new RestListenerConfig(new HostPort("127.0.0.1", 0), null, null,
        "http://127.0.0.1:8000", "http://127.0.0.1:8000", 1_048_576, 67_108_864));
    assertThat(c.sender()).isEmpty();
    assertThat(c.restEndpoint()).isEmpty();
    assertThat(c.endpoint()).isEmpty();
    assertThat(c.modules().syncFilter()).isEmpty();
    assertThat(c.modules().recipientRouterPolicy()).isEmpty();
    assertThat(c.modules().transactionMatcher()).isEmpty();
    assertThat(c.storage()).isEqualTo(new StorageConfig("jdbc:sqlite:var/koukan.db", null, Duration.ofSeconds(86400),
        Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5), 8));
    assertThat(c.logging()).isNull();
  }

  @Test
  void emptyStanzasMeanDefaults() {
    RouterConfig c = parse(LISTENER + """
        global:
        storage: {}
        modules:
        sender: []
        """);
    assertThat(c.global()).isEqualTo(GlobalConfig.defaults());
    assertThat(c.storage()).isEqualTo(StorageConfig.defaults());
    assertThat(c.modules()).isEqualTo(ModulesConfig.defaults());
  }

  @Test
  void partialStanzasKeepDefaultsForTheRest() {
    RouterConfig c = parse(LISTENER + """
          service_uri: https://koukan.example.com
          max_blob_size: 1000
        global:
          executor:
            output:
              max_inflight: 3
        storage:
          gc_interval: 0.25
        """);
    assertThat(c.restListener().serviceUri()).isEqualTo("https://koukan.example.com");
    assertThat(c.restListener().maxBlobSize()).isEqualTo(1000);
    assertThat(c.restListener().chunkSize()).isEqualTo(1_048_576);
    assertThat(c.global().executor().output()).isEqualTo(new ExecutorConfig(3, Duration.ofSeconds(30)));
    assertThat(c.global().executor().rest()).isEqualTo(ExecutorConfig.defaults());
    assertThat(c.storage().gcInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.storage().gcTtl()).isEqualTo(Duration.ofDays(1));
  }

  @Test
  void retryParamsDefaultsAndDecimalDurations() {
    RouterConfig c = parse(LISTENER + """
        endpoint:
        - name: a
          output_handler:
            upstream_refresh: 1.5
            retry_params: {}
          chain:
          - filter: rest_output
        - name: b
          output_handler:
            retry_params:
              backoff_factor: 2
              bug_retry: 1
          chain:
          - filter: rest_output
        """);
    OutputHandlerConfig a = c.findEndpoint("a").orElseThrow().outputHandler();
    assertThat(a.upstreamRefresh()).isEqualTo(Duration.ofMillis(1500));
    assertThat(a.downstreamTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(a.retryParams()).isEqualTo(new RetryParams(30, Duration.ofSeconds(60), Duration.ofSeconds(3600), 1.5,
        Duration.ofSeconds(86400), Duration.ofSeconds(3600)));
    assertThat(a.notification()).isNull();
    RetryParams b = c.findEndpoint("b").orElseThrow().outputHandler().retryParams();
    assertThat(b.backoffFactor()).isEqualTo(2.0);
    assertThat(b.bugRetry()).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.maxAttempts()).isEqualTo(30);
  }

  @Test
  void retryAndNotificationSpellings() {
    RouterConfig c = parse(LISTENER + """
        endpoint:
        - name: out
          chain:
          - filter: rest_output
        sender:
        - name: keyword
          output_chain: out
          retry: output_chain
          notification: output_chain
        - name: empty_map
          output_chain: out
          retry: {}
          notification: {}
        - name: explicit_null
          output_chain: out
          retry: null
          notification:
        - name: absent
          output_chain: out
        """);
    assertThat(c.findSender("keyword").orElseThrow().retryEnabled()).isTrue();
    assertThat(c.findSender("keyword").orElseThrow().notificationEnabled()).isTrue();
    assertThat(c.findSender("empty_map").orElseThrow().retry()).isEqualTo(Toggle.ENABLED);
    assertThat(c.findSender("empty_map").orElseThrow().notification()).isEqualTo(Toggle.ENABLED);
    assertThat(c.findSender("explicit_null").orElseThrow().retry()).isEqualTo(Toggle.DISABLED);
    assertThat(c.findSender("explicit_null").orElseThrow().notificationEnabled()).isFalse();
    assertThat(c.findSender("absent").orElseThrow().retry()).isEqualTo(Toggle.DISABLED);
  }

  @Test
  void tagsOverlayTheSendersKeys() {
    RouterConfig c = parse(LISTENER + """
        endpoint:
        - name: one
          chain:
          - filter: rest_output
        - name: two
          chain:
          - filter: rest_output
        sender:
        - name: s
          output_chain: one
          retry: output_chain
          notification: output_chain
          remote_host: 10.0.0.1
          smtp_meta: {ehlo_host: a.example}
          upstream_sender: up
          tag:
          - name: inherit
          - name: override
            output_chain: two
            notification: null
            upstream_tag: t2
            smtp_meta: {ehlo_host: b.example}
          - name: clear
            retry: null
            notification: null
            remote_host: null
        """);
    assertThat(c.sender("s", "inherit")).contains(new EffectiveSender("s", "inherit", "one", true, true, "up",
        "inherit", c.findSender("s").orElseThrow().remoteHost(), c.findSender("s").orElseThrow().smtpMeta()));
    EffectiveSender o = c.sender("s", "override").orElseThrow();
    assertThat(o.outputChain()).isEqualTo("two");
    assertThat(o.retry()).isTrue();
    assertThat(o.notification()).isFalse();
    assertThat(o.upstreamSender()).isEqualTo("up");
    assertThat(o.upstreamTag()).isEqualTo("t2");
    assertThat(o.remoteHost().asText()).isEqualTo("10.0.0.1");
    assertThat(o.smtpMeta().get("ehlo_host").asText()).isEqualTo("b.example");
    EffectiveSender cleared = c.sender("s", "clear").orElseThrow();
    assertThat(cleared.retry()).isFalse();
    assertThat(cleared.notification()).isFalse();
    assertThat(cleared.remoteHost()).isNull();
    assertThat(cleared.smtpMeta().get("ehlo_host").asText()).isEqualTo("a.example");
    EffectiveSender untagged = c.sender("s", null).orElseThrow();
    assertThat(untagged.outputChain()).isEqualTo("one");
    assertThat(untagged.tag()).isNull();
    assertThat(untagged.upstreamTag()).isNull();
    assertThat(c.sender("s", "unlisted")).isEmpty();
  }

  @Test
  void senderWithoutTagsAcceptsAnyTagWithItsOwnKeys() {
    RouterConfig c = parse(LISTENER + """
        endpoint:
        - name: out
          chain:
          - filter: rest_output
        sender:
        - name: plain
          output_chain: out
        """);
    EffectiveSender s = c.sender("plain", "whatever").orElseThrow();
    assertThat(s.outputChain()).isEqualTo("out");
    assertThat(s.tag()).isEqualTo("whatever");
    assertThat(s.upstreamSender()).isEqualTo("plain");
    assertThat(c.sender("other", null)).isEmpty();
  }

  @Test
  void restEndpointAndModules() {
    RouterConfig c = parse(LISTENER + """
        rest_endpoint:
        - name: gw
          endpoint: https://gw.example.com/senders/router/transactions
          sender: router
          options:
            receive_parsing: {max_inline: 0}
        modules:
          sync_filter:
            hello: com.example.Hello
            other: lib/other.jar:com.example.Other
          transaction_matcher:
            m: com.example.M
        logging:
          level: INFO
        """);
    RestEndpointConfig gw = c.findRestEndpoint("gw").orElseThrow();
    assertThat(gw.tag()).isNull();
    assertThat(gw.options().at("/receive_parsing/max_inline").asInt(-1)).isZero();
    assertThat(c.modules().syncFilter()).containsExactly(
        java.util.Map.entry("hello", "com.example.Hello"), java.util.Map.entry("other", "lib/other.jar:com.example.Other"));
    assertThat(c.modules().recipientRouterPolicy()).isEmpty();
    assertThat(c.modules().transactionMatcher()).containsEntry("m", "com.example.M");
    assertThat(c.logging().get("level").asText()).isEqualTo("INFO");
  }

  @Test
  void incrementalMeansTheChainEndsWithTheExploder() {
    RouterConfig c = parse(LISTENER + """
        endpoint:
        - name: fanout
          msa: true
          chain:
          - filter: router
          - filter: exploder
            msa: true
        - name: direct
          chain:
          - filter: exploder
          - filter: rest_output
        """);
    assertThat(c.findEndpoint("fanout").orElseThrow().incremental()).isTrue();
    assertThat(c.findEndpoint("fanout").orElseThrow().msa()).isTrue();
    assertThat(c.findEndpoint("direct").orElseThrow().incremental()).isFalse();
    assertThat(c.findEndpoint("direct").orElseThrow().msa()).isNull();
  }

  /** Every primitive component needs @Default or @Required, else an absent key silently becomes 0/false. */
  @Test
  void primitiveComponentsHaveADefaultOrAreRequired() {
    List<Class<?>> records = List.of(RouterConfig.class, GlobalConfig.class, ExecutorsConfig.class,
        ExecutorConfig.class, RestListenerConfig.class, SenderConfig.class, TagConfig.class, RestEndpointConfig.class,
        EndpointConfig.class, OutputHandlerConfig.class, RetryParams.class, NotificationConfig.class,
        ModulesConfig.class, StorageConfig.class);
    for (Class<?> r : records) {
      for (RecordComponent rc : r.getRecordComponents()) {
        if (rc.getType().isPrimitive()) {
          assertThat(rc.isAnnotationPresent(Default.class) || rc.isAnnotationPresent(Required.class))
              .as(r.getSimpleName() + "." + rc.getName()).isTrue();
        }
      }
    }
  }
}
