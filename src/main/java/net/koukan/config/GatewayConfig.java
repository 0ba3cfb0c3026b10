package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The gateway's configuration, {@code gateway.yaml} (spec §1.5): SMTP listeners that hand mail to
 * the router over REST ({@code smtp_listener.services} → a named {@code rest_output}), and a REST
 * listener on which the router hands mail to the gateway for SMTP delivery ({@code rest_listener}
 * + {@code smtp_output.hosts.<tag>}). Same rules as {@link RouterConfig}: every problem names the
 * file, line and key.
 */
public record GatewayConfig(
    Global global,
    RestListener restListener,
    SmtpOutput smtpOutput,
    SmtpListener smtpListener,
    List<RestOutput> restOutput,
    JsonNode logging) {

  public GatewayConfig {
    global = global == null ? new Global(null) : global;
    smtpListener = smtpListener == null ? new SmtpListener(List.of()) : smtpListener;
    restOutput = restOutput == null ? List.of() : List.copyOf(restOutput);
    logging = logging == null || logging.isNull() ? null : logging;
  }

  /** {@code global}: {@code executor} limits SMTP client sessions and REST work. */
  public record Global(ExecutorConfig executor) {
    public Global {
      executor = executor == null ? new ExecutorConfig(1000, Duration.ofSeconds(3600)) : executor;
    }
  }

  /**
   * {@code rest_listener}: where the router POSTs transactions for SMTP delivery. Gateway
   * transactions are kept only until delivered: {@code gc_tx_ttl} forgets idle ones,
   * {@code gc_done_ttl} finished ones.
   */
  public record RestListener(
      @Required HostPort addr,
      String cert,
      String key,
      @Required String sessionUri,
      @Default("16") @Min(4) int restIdEntropy,
      @Default("1048576") @Min(1) long chunkSize,
      @Default("67108864") @Min(1) long maxBlobSize,
      @Default("5") Duration gcInterval,
      @Default("600") Duration gcTxTtl,
      @Default("10") Duration gcDoneTtl) {}

  /**
   * {@code smtp_output}: per sender tag of the incoming REST transaction, the options of the
   * {@code smtp_output} filter that delivers it (bound by that filter).
   */
  public record SmtpOutput(Map<String, RawStanza> hosts) {
    public SmtpOutput {
      hosts = hosts == null ? Map.of() : Map.copyOf(hosts);
    }
  }

  /** {@code smtp_listener}. */
  public record SmtpListener(List<Service> services) {
    public SmtpListener {
      services = services == null ? List.of() : List.copyOf(services);
    }
  }

  /**
   * One SMTP listener. Transactions go to the router through the {@code rest_output} named
   * {@code endpoint}, as sender {@code sender} with {@code tag}.
   *
   * @param requireAuth MAIL needs AUTH (over TLS) unless the client is in {@code authExemptNetworks}
   * @param bareLf {@code reject} (default) or {@code normalize}
   */
  public record Service(
      @Required HostPort addr,
      @Required String endpoint,
      @Required String sender,
      String tag,
      String hostname,
      String cert,
      String key,
      @Default("false") boolean smtps,
      String authSecrets,
      @Default("false") boolean requireAuth,
      List<String> authExemptNetworks,
      Duration proxyProtocolTimeout,
      @Default("true") boolean enableBdat,
      @Default("33554432") @Min(1) long maxMessageSize,
      @Default("100") @Min(1) int maxRecipients,
      @Default("reject") String bareLf,
      @Default("40") Duration rcptTimeout,
      @Default("310") Duration dataTimeout) {}

  /** A router endpoint the SMTP listeners hand mail to. */
  public record RestOutput(
      @Required String name,
      @Required String endpoint,
      JsonNode verify,
      @Default("65536") @Min(1) long chunkSize,
      @Default("30") Duration refreshInterval) {}

  public static GatewayConfig load(Path file) {
    String yaml;
    try {
      yaml = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), 1, 1, "(root)", "cannot read file: " + e, e);
    }
    return parse(yaml, file.toString());
  }

  public static GatewayConfig parse(String yaml, String fileNameForMessages) {
    YamlTree.Parsed parsed = YamlTree.parse(yaml, fileNameForMessages);
    JsonNode root = parsed.root() == null || parsed.root().isNull()
        ? JsonNodeFactory.instance.objectNode() : parsed.root();
    GatewayConfig c = ConfigMapper.bind(root, parsed.map(), KeyPath.ROOT, GatewayConfig.class);
    c.validate(parsed.map());
    return c;
  }

  public Optional<RestOutput> findRestOutput(String name) {
    return restOutput.stream().filter(r -> r.name().equals(name)).findFirst();
  }

  private void validate(SourceMap map) {
    KeyPath ro = KeyPath.ROOT.key("rest_output");
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < restOutput.size(); i++) {
      if (seen.putIfAbsent(restOutput.get(i).name(), i) != null) {
        throw map.error(ro.index(i).key("name"), "duplicate rest_output name \"" + restOutput.get(i).name() + "\"");
      }
      String ep = restOutput.get(i).endpoint();
      if (!ep.startsWith("http://") && !ep.startsWith("https://")) {
        throw map.error(ro.index(i).key("endpoint"), "must be an http(s) URL of .../senders/<name>/transactions");
      }
    }
    if (restListener != null && (restListener.cert() == null) != (restListener.key() == null)) {
      throw map.error(KeyPath.ROOT.key("rest_listener").key(restListener.cert() == null ? "key" : "cert"),
          "cert and key must be given together");
    }
    KeyPath sv = KeyPath.ROOT.key("smtp_listener").key("services");
    for (int i = 0; i < smtpListener.services().size(); i++) {
      Service s = smtpListener.services().get(i);
      KeyPath p = sv.index(i);
      if (findRestOutput(s.endpoint()).isEmpty()) {
        throw map.error(p.key("endpoint"), "no rest_output named \"" + s.endpoint() + "\"");
      }
      if ((s.cert() == null) != (s.key() == null)) {
        throw map.error(p.key(s.cert() == null ? "key" : "cert"), "cert and key must be given together");
      }
      if (s.smtps() && s.cert() == null) {
        throw map.error(p.key("smtps"), "smtps needs cert and key");
      }
      if (s.authSecrets() != null && s.cert() == null) {
        throw map.error(p.key("auth_secrets"), "AUTH is only offered over TLS: give cert and key too");
      }
      if (s.requireAuth() && s.authSecrets() == null
          && (s.authExemptNetworks() == null || s.authExemptNetworks().isEmpty())) {
        throw map.error(p.key("require_auth"), "require_auth needs auth_secrets or auth_exempt_networks");
      }
      if (!s.bareLf().equals("reject") && !s.bareLf().equals("normalize")) {
        throw map.error(p.key("bare_lf"), "expected reject or normalize, got \"" + s.bareLf() + "\"");
      }
      if (s.authExemptNetworks() != null) {
        for (int j = 0; j < s.authExemptNetworks().size(); j++) {
          if (!Cidr.valid(s.authExemptNetworks().get(j))) {
            throw map.error(p.key("auth_exempt_networks").index(j), "not a CIDR: " + s.authExemptNetworks().get(j));
          }
        }
      }
    }
    if (smtpOutput != null && restListener == null) {
      throw map.error(KeyPath.ROOT.key("smtp_output"), "smtp_output needs a rest_listener for the router to reach");
    }
  }
}
