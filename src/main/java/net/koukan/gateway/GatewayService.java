package net.koukan.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import net.koukan.config.Cidr;
import net.koukan.config.ConfigException;
import net.koukan.config.EndpointConfig;
import net.koukan.config.FilterStanza;
import net.koukan.config.GatewayConfig;
import net.koukan.config.OutputHandlerConfig;
import net.koukan.config.RawStanza;
import net.koukan.delivery.Delivery;
import net.koukan.filter.ChainTemplate;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterRegistry;
import net.koukan.filter.FilterTx;
import net.koukan.rest.Health;
import net.koukan.rest.RestServer;
import net.koukan.rest.RestSettings;
import net.koukan.rest.SenderPolicy;
import net.koukan.rest.TransactionApi;
import net.koukan.restout.RestOutputFactory;
import net.koukan.smtp.AuthSecrets;
import net.koukan.smtp.BareLfPolicy;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.SmtpLimits;
import net.koukan.smtp.SmtpServer;
import net.koukan.smtp.SmtpTimeouts;
import net.koukan.smtp.Tls;
import net.koukan.smtpclient.SmtpOutputFactory;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.VersionWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway process: its SMTP listeners and, when configured, its REST listener for outbound
 * SMTP. The outbound side reuses the router's core (REST API, attempts, chains) on a throwaway,
 * non-durable SQLite file: the router keeps the durable copy and retries.
 */
public final class GatewayService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayService.class);

  private final GatewayConfig config;
  private final Clock clock;
  private final String configFile;
  private final Path configDir;
  private final List<SmtpServer> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private Path tmp;
  private Database db;
  private Storage storage;
  private Delivery delivery;
  private RestServer rest;
  private ScheduledExecutorService gc;

  public GatewayService(GatewayConfig config, Clock clock, Path configFile) {
    this.config = config;
    this.clock = clock;
    this.configFile = configFile == null ? "(embedded config)" : configFile.toString();
    this.configDir = configFile == null ? null : configFile.toAbsolutePath().getParent();
  }

  public GatewayService start() throws IOException {
    // check everything before listening
    List<ListenerConfig> smtp = new ArrayList<>();
    for (GatewayConfig.Service s : config.smtpListener().services()) {
      smtp.add(listener(s));
    }
    if (config.restListener() != null) {
      startOutbound();
    }
    for (ListenerConfig lc : smtp) {
      SmtpServer server = new SmtpServer(lc);
      server.start();
      listeners.add(server);
      log.info("SMTP listener on {}:{}", lc.host(), server.port());
    }
    return this;
  }

  /** A listener whose sessions reach the router through a rest_output with its timeouts. */
  private ListenerConfig listener(GatewayConfig.Service s) {
    GatewayConfig.RestOutput ro = config.findRestOutput(s.endpoint()).orElseThrow();
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("static_endpoint", ro.endpoint());
    o.put("chunk_size", ro.chunkSize());
    o.put("refresh_interval", ro.refreshInterval().toMillis() / 1000.0);
    o.put("rcpt_timeout", s.rcptTimeout().toMillis() / 1000.0);
    o.put("data_timeout", s.dataTimeout().toMillis() / 1000.0);
    if (ro.verify() != null) {
      o.set("verify", ro.verify());
    }
    Supplier<Filter> out = new RestOutputFactory().prepare(new FilterStanza("rest_output", o, configFile, 1));
    List<Cidr> exempt = s.authExemptNetworks() == null ? List.of()
        : s.authExemptNetworks().stream().map(Cidr::parse).toList();
    RestBridgeSession.Settings settings = new RestBridgeSession.Settings(out, s.sender(), s.tag(),
        s.requireAuth(), exempt);
    SSLContext tls = null;
    AuthSecrets auth = null;
    try {
      if (s.cert() != null) {
        tls = Tls.serverContext(resolve(s.cert()), resolve(s.key()));
      }
      if (s.authSecrets() != null) {
        auth = AuthSecrets.load(resolve(s.authSecrets()));
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(configFile, 1, 1, "smtp_listener.services",
          "listener " + s.addr().host() + ":" + s.addr().port() + ": " + e.getMessage(), e);
    }
    if (s.proxyProtocolTimeout() != null && (s.proxyProtocolTimeout().isZero() || s.proxyProtocolTimeout().isNegative())) {
      throw new ConfigException(configFile, 1, 1, "smtp_listener.services.proxy_protocol_timeout",
          "listener " + s.addr().host() + ":" + s.addr().port() + ": must be more than 0 seconds");
    }
    SmtpLimits d = SmtpLimits.defaults();
    SmtpLimits limits = new SmtpLimits(s.maxMessageSize(), s.maxRecipients(), d.maxCommandLine(),
        d.maxTextLine(), d.maxCommands(), d.maxErrors(), d.spoolMemory());
    return ListenerConfig.builder(conn -> new RestBridgeSession(settings))
        .host(s.addr().host())
        .port(s.addr().port())
        .hostname(s.hostname() != null ? s.hostname() : hostname())
        .smtps(s.smtps())
        .tls(tls)
        .auth(auth)
        .proxyProtocol(s.proxyProtocolTimeout() != null)
        .timeouts(s.proxyProtocolTimeout() != null
            ? SmtpTimeouts.defaults().withProxyHeader(s.proxyProtocolTimeout()) : SmtpTimeouts.defaults())
        .chunking(s.enableBdat())
        .limits(limits)
        .bareLf(s.bareLf().equals("normalize") ? BareLfPolicy.NORMALIZE : BareLfPolicy.REJECT)
        .build();
  }

  private void startOutbound() throws IOException {
    GatewayConfig.RestListener rl = config.restListener();
    Map<String, RawStanza> hosts = config.smtpOutput() == null ? Map.of() : config.smtpOutput().hosts();
    FilterRegistry registry = new FilterRegistry()
        .register(new SmtpOutputFactory())
        .register(nextHop());
    Map<String, ChainTemplate> chains = new LinkedHashMap<>();
    for (Map.Entry<String, RawStanza> h : hosts.entrySet()) {
      EndpointConfig e = new EndpointConfig("smtp_output." + h.getKey(), null,
          new OutputHandlerConfig(Duration.ofSeconds(60), Duration.ofSeconds(30), null, null),
          List.of(new FilterStanza("next_hop", JsonNodeFactory.instance.objectNode(), configFile, 1),
              h.getValue().asFilter("smtp_output")));
      chains.put(h.getKey(), registry.prepare(e));
    }
    tmp = Files.createTempDirectory("koukan-gateway");
    db = Database.open("jdbc:sqlite:" + tmp.resolve("gateway.db"), 8, null, false);
    storage = new Storage(db, clock, new VersionWatch(), rl.maxBlobSize());
    storage.startSession(rl.sessionUri(), true);
    delivery = new Delivery(storage, (sender, tag) -> tag == null ? null : chains.get(tag), clock,
        null, config.global().executor().maxInflight(), 5_000).start(true); // retries what found no capacity
    SenderPolicy.Resolver senders = (sender, tag) -> tag != null && chains.containsKey(tag)
        ? Optional.of(new SenderPolicy(true, false, false)) : Optional.empty();
    TransactionApi api = new TransactionApi(storage, senders, new RestSettings(rl.sessionUri(),
        rl.sessionUri(), (int) Math.min(Integer.MAX_VALUE, rl.chunkSize()), rl.maxBlobSize(),
        rl.restIdEntropy(), 30), delivery);
    // /readyz: the throwaway store answers and every SMTP listener is up
    SSLContext restTls = null;
    if (rl.cert() != null) {
      try {
        restTls = Tls.serverContext(resolve(rl.cert()), resolve(rl.key()));
      } catch (IOException | GeneralSecurityException e) {
        throw new ConfigException(configFile, 1, 1, "rest_listener.cert", e.getMessage(), e);
      }
    }
    rest = new RestServer(rl.addr().host(), rl.addr().port(), restTls, api, r -> Health.readyz(r, Map.of(
        "storage", () -> {
          storage.ping();
          return Optional.empty();
        },
        "smtp", () -> listeners.size() == config.smtpListener().services().size()
            ? Optional.empty() : Optional.of("SMTP listeners not started")))).start();
    log.info("REST listener for outbound SMTP on {}:{} (tags {})", rl.addr().host(), rest.port(),
        chains.keySet());
    gc = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("gateway-gc").daemon(true).factory());
    long ms = Math.max(500, rl.gcInterval().toMillis());
    gc.scheduleWithFixedDelay(() -> {
      try {
        storage.gc(rl.gcDoneTtl(), rl.gcTxTtl());
      } catch (RuntimeException e) {
        log.warn("gateway gc: {}", e.getMessage());
      }
    }, ms, ms, TimeUnit.MILLISECONDS);
  }

  /**
   * The router tells the gateway where to deliver in {@code remote_host} (an IP and port it
   * resolved): make that the SMTP client's destination.
   */
  private FilterFactory nextHop() {
    return new FilterFactory() {
      @Override
      public String name() {
        return "next_hop";
      }

      @Override
      public Supplier<Filter> prepare(FilterStanza stanza) {
        return () -> (FilterTx tx, Delta delta, Filter.Next next) -> {
          if (tx.resolution() == null && tx.remoteHost() != null) {
            tx.resolution(List.of(tx.remoteHost()));
          }
          next.update(tx, delta);
        };
      }
    };
  }

  private Path resolve(String p) {
    return configDir == null ? Path.of(p) : configDir.resolve(p);
  }

  static String hostname() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  /** The bound port of listener {@code i} (for tests with port 0). */
  public int smtpPort(int i) {
    return listeners.get(i).port();
  }

  public int restPort() {
    return rest.port();
  }

  @Override
  public void close() {
    for (SmtpServer s : listeners) {
      s.close();
    }
    if (rest != null) {
      rest.close();
    }
    if (gc != null) {
      gc.shutdownNow();
    }
    if (delivery != null) {
      delivery.close();
    }
    if (db != null) {
      db.close();
    }
    if (tmp != null) {
      try (var files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        log.warn("cannot remove {}: {}", tmp, e.getMessage());
      }
    }
  }
}
