package net.koukan.router;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import net.koukan.config.EndpointConfig;
import net.koukan.restout.RestOutputFactory;
import net.koukan.delivery.Delivery;
import net.koukan.delivery.DsnNotifier;
import net.koukan.delivery.ExploderOutput;
import net.koukan.storage.RestIds;
import net.koukan.delivery.MaildirOutput;
import net.koukan.delivery.OutputHandler;
import net.koukan.filter.ChainTemplate;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterRegistry;
import net.koukan.filter.Plugins;
import net.koukan.routing.AddressListPolicy;
import net.koukan.routing.DestDomainPolicy;
import net.koukan.routing.RecipientRouterFilter;
import net.koukan.routing.RoutingPolicy;
import net.koukan.config.RestListenerConfig;
import net.koukan.config.RouterConfig;
import net.koukan.rest.Dispatcher;
import net.koukan.rest.Health;
import net.koukan.rest.RestServer;
import net.koukan.rest.RestSettings;
import net.koukan.rest.SenderPolicy;
import net.koukan.rest.TransactionApi;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.VersionWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One router process: storage, a live session, and the REST API. */
public final class RouterService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RouterService.class);
  /** The long-poll cap of spec §2.4. */
  public static final int MAX_LONG_POLL_SECONDS = 30;
  /** The dequeue loop looks at the database at least this often, for work of other replicas. */
  static final long DEQUEUE_IDLE_MILLIS = 5_000;

  private final RouterConfig config;
  private final Clock clock;
  private Database db;
  private Storage storage;
  private RestServer server;
  private ScheduledExecutorService housekeeping;
  private SessionKeeper sessionKeeper;
  private Delivery delivery;
  private OutputHandler.Notifier notifier;
  private final RestIds restIds;
  private final List<FilterFactory> extraFilters = new ArrayList<>();

  private final java.nio.file.Path configDir;
  private final String configFile;

  /**
   * @param configFile the file the config came from (plugin jars are relative to its directory),
   *     or null for an embedded config
   */
  public RouterService(RouterConfig config, Clock clock, java.nio.file.Path configFile) {
    this.config = config;
    this.clock = clock;
    this.configFile = configFile == null ? "(embedded config)" : configFile.toString();
    this.configDir = configFile == null ? null : configFile.toAbsolutePath().getParent();
    this.restIds = new RestIds(config.global().restIdEntropy());
  }

  public RouterService(RouterConfig config, Clock clock) {
    this(config, clock, null);
  }

  /** Adds a filter factory (tests, embedders) before {@link #start}. */
  public RouterService withFilter(FilterFactory f) {
    extraFilters.add(f);
    return this;
  }

  /** The built-in filters, the plugins named in {@code modules}, and any added ones. */
  FilterRegistry registry() {
    FilterRegistry r = new FilterRegistry();
    List<RoutingPolicy.Factory> policies = new ArrayList<>(List.of(
        new AddressListPolicy.Factory(), new DestDomainPolicy.Factory()));
    policies.addAll(Plugins.load(RoutingPolicy.Factory.class,
        config.modules().recipientRouterPolicy(), configDir, "modules.recipient_router_policy"));
    r.register(new RecipientRouterFilter.Factory(config, policies));
    r.register(new MaildirOutput.Factory(clock, hostname()));
    r.register(new net.koukan.drop.SwiftOutputFilter.Factory(clock, hostname()));
    r.register(new RestOutputFactory());
    r.register(new net.koukan.smtpclient.SmtpOutputFactory());
    r.register(new net.koukan.dns.DnsResolutionFilter.Factory());
    r.register(new net.koukan.dns.RemoteHostFilter.Factory());
    r.register(new net.koukan.policy.ReceivedHeaderFilter.Factory(clock, hostname()));
    r.register(new net.koukan.policy.MessageValidationFilter.Factory());
    r.register(new net.koukan.policy.RelayAuthFilter.Factory());
    r.register(new net.koukan.mime.MessageBuilderFilter.Factory(clock, hostname()));
    r.register(new net.koukan.mime.MessageParserFilter.Factory());
    r.register(new net.koukan.dkim.DkimSignFilter.Factory(clock, configDir));
    r.register(new net.koukan.dkim.DkimCheckFilter.Factory(clock, configDir));
    r.register(new net.koukan.spf.SpfCheckFilter.Factory(clock, hostname()));
    r.register(new net.koukan.policy.PolicyActionFilter.Factory(
        net.koukan.policy.TransactionMatchers.loadPlugins(config.modules().transactionMatcher(), configDir),
        new java.util.Random()));
    r.register(new ExploderOutput.Factory(() -> storage, config, () -> delivery, clock,
        restIds, () -> notifier));
    r.register(new net.koukan.delivery.AddRouteFilter.Factory(() -> storage, config, () -> delivery, restIds));
    extraFilters.forEach(r::register);
    r.loadPlugins(config.modules().syncFilter(), configDir, configFile);
    return r;
  }

  static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  public RouterService start() {
    // check every chain before anything listens or opens the database
    Map<String, ChainTemplate> chains = registry().prepare(config);
    var sc = config.storage();
    db = Database.open(sc.url(), sc.poolSize(), null);
    RestListenerConfig rl = config.restListener();
    storage = new Storage(db, clock, new VersionWatch(), rl.maxBlobSize());
    // An embedded SQLite file belongs to this process alone: whatever sessions it lists are dead.
    long session = storage.startSession(rl.sessionUri(), db.dialect() == Database.Dialect.SQLITE);
    log.info("storage {} ({}), session {} at {}", db.jdbcUrl(), db.dialect(), session, rl.sessionUri());
    housekeeping = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("housekeeping").daemon(true).factory());
    if (sc.gcInterval() != null) {
      startGc(sc.gcInterval(), sc.gcTtl());
    }
    RestSettings settings = new RestSettings(rl.sessionUri(), rl.serviceUri(),
        (int) Math.min(Integer.MAX_VALUE, rl.chunkSize()), rl.maxBlobSize(),
        config.global().restIdEntropy(), MAX_LONG_POLL_SECONDS);
    var out = config.global().executor().output();
    notifier = new DsnNotifier(storage, config, clock, restIds, () -> delivery.wake());
    delivery = new Delivery(storage, Delivery.ChainSelector.of(config, chains), clock, notifier,
        out.maxInflight(),
        DEQUEUE_IDLE_MILLIS).start(config.global().dequeue());
    sessionKeeper = new SessionKeeper(storage, delivery, rl.sessionUri(),
        sc.sessionRefreshInterval(), System::nanoTime).start();
    Dispatcher dispatcher = config.global().dequeue() ? delivery : Dispatcher.NONE;
    TransactionApi api = new TransactionApi(storage, this::senderPolicy, settings, dispatcher)
        .messageIdDomain(hostname());
    server = new RestServer(rl.host(), rl.port(), restTls(rl.cert(), rl.key()), api,
        r -> Health.readyz(r, readinessChecks())).start();
    log.info("REST listener on {}://{}:{}", rl.tls() ? "https" : "http", rl.host(), server.port());
    return this;
  }

  /** The REST listener's TLS context from its PEM files (relative to the config file), or null. */
  private javax.net.ssl.SSLContext restTls(String cert, String key) {
    if (cert == null) {
      return null;
    }
    try {
      return net.koukan.smtp.Tls.serverContext(resolve(cert), resolve(key));
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw new net.koukan.config.ConfigException(configFile, 1, 1, "rest_listener.cert",
          e.getMessage(), e);
    }
  }

  private java.nio.file.Path resolve(String p) {
    return configDir == null ? java.nio.file.Path.of(p) : configDir.resolve(p);
  }

  Optional<SenderPolicy> senderPolicy(String sender, String tag) {
    return config.sender(sender, tag).map(s -> {
      boolean incremental = config.endpoint().stream()
          .filter(e -> e.name().equals(s.outputChain()))
          .findFirst().map(EndpointConfig::incremental).orElse(false);
      return new SenderPolicy(incremental, s.retry(), s.notification());
    });
  }


  private void startGc(Duration interval, Duration ttl) {
    long ms = Math.max(1000, interval.toMillis());
    housekeeping.scheduleWithFixedDelay(() -> {
      try {
        Storage.GcResult r = storage.gc(ttl);
        if (r.transactions() > 0 || r.blobs() > 0) {
          log.info("gc removed {} transactions and {} blobs", r.transactions(), r.blobs());
        }
      } catch (RuntimeException e) {
        log.warn("gc failed: {}", e.getMessage());
      }
    }, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** {@code /readyz}: the database answers and this router's session is live (not fenced). */
  private Map<String, Health.Check> readinessChecks() {
    Map<String, Health.Check> checks = new java.util.LinkedHashMap<>();
    checks.put("storage", () -> {
      storage.ping();
      return Optional.empty();
    });
    checks.put("session", () -> sessionKeeper.problem());
    return checks;
  }

  public SessionKeeper sessionKeeper() {
    return sessionKeeper;
  }

  public int port() {
    return server.port();
  }

  public Storage storage() {
    return storage;
  }

  public Delivery delivery() {
    return delivery;
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
    if (sessionKeeper != null) {
      sessionKeeper.close();
    }
    if (delivery != null) {
      delivery.close();
    }
    if (housekeeping != null) {
      housekeeping.shutdownNow();
    }
    if (storage != null) {
      try {
        storage.endSession();
      } catch (RuntimeException e) {
        log.warn("could not end the storage session: {}", e.getMessage());
      }
    }
    if (db != null) {
      db.close();
    }
  }
}
