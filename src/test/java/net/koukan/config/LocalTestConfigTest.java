package net.koukan.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shipped config/local-test/router.yaml loads and describes the reference local-test topology. */
class LocalTestConfigTest {
  private static final Path FILE = Path.of("config/local-test/router.yaml");
  private static RouterConfig config;

  @BeforeAll
  static void load() {
    config = RouterConfig.load(FILE);
  }

  @Test
  void global() {
    GlobalConfig g = config.global();
    assertThat(g.dequeue()).isTrue();
    assertThat(g.executor().rest()).isEqualTo(new ExecutorConfig(10, Duration.ofSeconds(10)));
    assertThat(g.executor().output()).isEqualTo(new ExecutorConfig(100, Duration.ofSeconds(60)));
    assertThat(g.mailerDaemonMailbox()).isEqualTo("mailer-daemon@example.com");
    assertThat(g.restIdEntropy()).isEqualTo(4);
  }

  @Test
  void restListenerOnPort8000() {
    RestListenerConfig l = config.restListener();
    assertThat(l.host()).isEqualTo("localhost");
    assertThat(l.port()).isEqualTo(8000);
    assertThat(l.sessionUri()).isEqualTo("http://localhost:8000");
    assertThat(l.serviceUri()).isEqualTo("http://localhost:8000");
    assertThat(l.cert()).isNull();
    assertThat(l.tls()).isFalse();
    assertThat(l.chunkSize()).isEqualTo(1L << 20);
    assertThat(l.maxBlobSize()).isEqualTo(64L << 20);
  }

  @Test
  void sendersAndTags() {
    Map<String, List<String>> tags = config.sender().stream().collect(Collectors.toMap(
        SenderConfig::name, s -> s.tag().stream().map(TagConfig::name).toList()));
    assertThat(tags).containsExactlyInAnyOrderEntriesOf(Map.of(
        "ingress", List.of("smtp-mx", "smtp-mx-upstream", "short_circuit"),
        "submission", List.of("smtp-msa", "smtp-msa-upstream", "notification"),
        "sor", List.of()));
  }

  @Test
  void ingressFromSmtpFansOutToTheUpstreamTag() {
    assertThat(config.sender("ingress", "smtp-mx")).contains(new EffectiveSender(
        "ingress", "smtp-mx", "ingress_exploder", false, false, "ingress", "smtp-mx-upstream", null, null));
    EffectiveSender upstream = config.sender("ingress", "smtp-mx-upstream").orElseThrow();
    assertThat(upstream.outputChain()).isEqualTo("ingress");
    assertThat(upstream.retry()).isFalse();
  }

  @Test
  void shortCircuitPresentsAPlaceholderPeer() {
    EffectiveSender s = config.sender("ingress", "short_circuit").orElseThrow();
    assertThat(s.outputChain()).isEqualTo("ingress");
    assertThat(s.remoteHost().asText()).isEqualTo("127.0.0.1");
    assertThat(s.smtpMeta().get("ehlo_host").asText()).isEqualTo("localhost");
  }

  @Test
  void ingressWithoutTagUsesTheSendersOwnKeys() {
    EffectiveSender s = config.sender("ingress", null).orElseThrow();
    assertThat(s.outputChain()).isEqualTo("ingress");
    assertThat(s.tag()).isNull();
    assertThat(s.remoteHost()).isNull();
  }

  @Test
  void submissionRetriesButItsSmtpTagsDoNot() {
    EffectiveSender rest = config.sender("submission", null).orElseThrow();
    assertThat(rest.outputChain()).isEqualTo("submission");
    assertThat(rest.retry()).isTrue();
    assertThat(rest.notification()).isFalse();

    EffectiveSender smtp = config.sender("submission", "smtp-msa").orElseThrow();
    assertThat(smtp.outputChain()).isEqualTo("submission_exploder");
    assertThat(smtp.retry()).isFalse();
    assertThat(smtp.upstreamTag()).isEqualTo("smtp-msa-upstream");

    EffectiveSender upstream = config.sender("submission", "smtp-msa-upstream").orElseThrow();
    assertThat(upstream.outputChain()).isEqualTo("submission");
    assertThat(upstream.retry()).isFalse();

    EffectiveSender bounces = config.sender("submission", "notification").orElseThrow();
    assertThat(bounces.outputChain()).isEqualTo("submission");
    assertThat(bounces.retry()).isTrue();
  }

  @Test
  void sorGoesToTheSinkChain() {
    assertThat(config.sender("sor", null).map(EffectiveSender::outputChain)).contains("sink");
  }

  @Test
  void unknownSenderOrUnlistedTagIsEmpty() {
    assertThat(config.sender("nobody", null)).isEmpty();
    assertThat(config.sender("ingress", "smtp-msa")).isEmpty();
    assertThat(config.sender("submission", "smtp-mx")).isEmpty();
  }

  @Test
  void restEndpoints() {
    assertThat(config.restEndpoint()).extracting(RestEndpointConfig::name)
        .containsExactly("gateway", "sink", "receiver", "short_circuit");
    RestEndpointConfig gateway = config.findRestEndpoint("gateway").orElseThrow();
    assertThat(gateway.endpoint()).isEqualTo("http://localhost:8001/senders/router/transactions");
    assertThat(gateway.sender()).isEqualTo("router");
    assertThat(gateway.tag()).isEqualTo("outbound");
    RestEndpointConfig sink = config.findRestEndpoint("sink").orElseThrow();
    assertThat(sink.endpoint()).startsWith("http://localhost:8002/");
    assertThat(sink.tag()).isEqualTo("sor");
    assertThat(sink.options().get("send_filter_output").asBoolean()).isTrue();
    assertThat(config.findRestEndpoint("receiver").orElseThrow().endpoint()).startsWith("http://localhost:8002/");
    RestEndpointConfig shortCircuit = config.findRestEndpoint("short_circuit").orElseThrow();
    assertThat(shortCircuit.endpoint()).isEqualTo("http://localhost:8000/senders/ingress/transactions");
    assertThat(shortCircuit.sender()).isEqualTo("ingress");
    assertThat(shortCircuit.tag()).isEqualTo("short_circuit");
  }

  @Test
  void outputChains() {
    assertThat(config.endpoint()).extracting(EndpointConfig::name)
        .containsExactly("submission_exploder", "submission", "ingress_exploder", "ingress", "sink");
    assertThat(config.endpoint()).filteredOn(EndpointConfig::incremental).extracting(EndpointConfig::name)
        .containsExactlyInAnyOrder("submission_exploder", "ingress_exploder");
    for (EndpointConfig e : config.endpoint()) {
      String last = e.chain().getLast().filter();
      assertThat(last).as(e.name()).isEqualTo(e.incremental() ? "exploder" : "rest_output");
    }
  }

  @Test
  void retryAndNotificationOfTheDeliveryChains() {
    RetryParams expected = new RetryParams(3, Duration.ofSeconds(2), Duration.ofSeconds(5), 1.5,
        Duration.ofSeconds(30), Duration.ofHours(1));
    for (String name : List.of("submission", "ingress")) {
      OutputHandlerConfig h = config.findEndpoint(name).orElseThrow().outputHandler();
      assertThat(h.retryParams()).as(name).isEqualTo(expected);
      assertThat(h.notification()).as(name).isEqualTo(new NotificationConfig("submission", "notification"));
      assertThat(h.downstreamTimeout()).isEqualTo(Duration.ofSeconds(5));
      assertThat(h.upstreamRefresh()).isEqualTo(Duration.ofSeconds(1));
    }
    OutputHandlerConfig sink = config.findEndpoint("sink").orElseThrow().outputHandler();
    assertThat(sink).isEqualTo(OutputHandlerConfig.defaults());
    assertThat(sink.retryParams()).isNull();
    assertThat(sink.downstreamTimeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void exploderStanzas() {
    FilterStanza msa = config.findEndpoint("submission_exploder").orElseThrow().chain().getLast();
    assertThat(msa.options().get("msa").asBoolean()).isTrue();
    assertThat(msa.options().get("rcpt_timeout").asInt()).isEqualTo(300);
    FilterStanza mx = config.findEndpoint("ingress_exploder").orElseThrow().chain().getLast();
    assertThat(mx.options().get("msa").asBoolean()).isFalse();
  }

  @Test
  void ingressChainOrder() {
    assertThat(config.findEndpoint("ingress").orElseThrow().chain()).extracting(FilterStanza::filter).containsExactly(
        "policy_action", "policy_action", "remote_host", "received_header", "router", "router", "router",
        "message_validation", "dkim_check", "policy_action", "policy_action", "add_route", "message_parser",
        "dns_resolution", "rest_output");
    FilterStanza addRoute = config.findEndpoint("ingress").orElseThrow().chain().get(11);
    assertThat(addRoute.options().get("sender").asText()).isEqualTo("sor");
  }

  @Test
  void stanzasRememberTheirLine() throws IOException {
    List<String> lines = Files.readAllLines(FILE);
    FilterStanza addRoute = config.findEndpoint("ingress").orElseThrow().chain().get(11);
    assertThat(addRoute.file()).isEqualTo(FILE.toString());
    assertThat(lines.get(addRoute.line() - 1)).isEqualTo("  - filter: add_route");
    assertThat(addRoute.origin().column()).isEqualTo(5);
  }

  @Test
  void storage() {
    StorageConfig s = config.storage();
    assertThat(s.url()).startsWith("jdbc:sqlite:var/");
    assertThat(s.gcInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.gcTtl()).isEqualTo(Duration.ofHours(1));
    assertThat(s.sessionRefreshInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.blobTxRefreshInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.cacheTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.poolSize()).isEqualTo(8);
  }

  @Test
  void noPluginsAndNoLogging() {
    assertThat(config.modules()).isEqualTo(ModulesConfig.defaults());
    assertThat(config.logging()).isNull();
  }
}
