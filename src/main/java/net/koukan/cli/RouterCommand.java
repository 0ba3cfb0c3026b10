package net.koukan.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import net.koukan.config.ConfigException;
import net.koukan.config.RouterConfig;
import net.koukan.router.RouterService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code koukan router CONFIG}: runs a router until SIGTERM/SIGINT. */
@Command(name = "router", mixinStandardHelpOptions = true,
    description = "Run a router: REST API, storage, delivery. CONFIG is a router.yaml.")
final class RouterCommand implements Callable<Integer> {

  @Parameters(paramLabel = "CONFIG", description = "path to router.yaml")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    RouterConfig cfg;
    try {
      cfg = RouterConfig.load(config);
    } catch (ConfigException e) {
      System.err.println("koukan router: " + e.getMessage());
      return 2;
    }
    return runUntilSignalled(cfg, config, "koukan router", null, null);
  }

  /** Starts a router and blocks until SIGTERM/SIGINT, then shuts it down cleanly. */
  static int runUntilSignalled(RouterConfig cfg, java.nio.file.Path configFile, String who,
      net.koukan.config.GatewayConfig gatewayCfg, java.nio.file.Path gatewayFile)
      throws InterruptedException {
    String loggingError = Logging.apply(cfg.logging());
    if (loggingError != null) {
      System.err.println(who + ": " + (configFile == null ? "" : configFile + ": ") + loggingError);
      return 2;
    }
    RouterService router = new RouterService(cfg, Clock.systemUTC(), configFile);
    try {
      router.start();
    } catch (ConfigException e) {
      System.err.println(who + ": " + e.getMessage());
      router.close();
      return 2;
    } catch (RuntimeException e) {
      System.err.println(who + ": cannot start: " + e.getMessage());
      router.close();
      return 1;
    }
    net.koukan.gateway.GatewayService gateway = null;
    if (gatewayCfg != null) {
      gateway = new net.koukan.gateway.GatewayService(gatewayCfg, Clock.systemUTC(), gatewayFile);
      try {
        gateway.start();
      } catch (ConfigException e) {
        System.err.println(who + ": " + e.getMessage());
        gateway.close();
        router.close();
        return 2;
      } catch (Exception e) {
        System.err.println(who + ": cannot start the SMTP listeners: " + e.getMessage());
        gateway.close();
        router.close();
        return 1;
      }
      for (var s : gatewayCfg.smtpListener().services()) {
        System.out.println(who + ": SMTP on " + s.addr().host() + ":" + s.addr().port() + " -> sender "
            + s.sender() + (s.tag() == null ? "" : " tag " + s.tag())
            + (s.requireAuth() ? " (relays only for authenticated or " + s.authExemptNetworks() + " clients)" : ""));
      }
    }
    System.out.println(who + ": REST API on " + cfg.restListener().sessionUri()
        + " (listening on " + cfg.restListener().host() + ":" + router.port() + "), storage "
        + cfg.storage().url());
    for (var e : cfg.endpoint()) {
      for (var f : e.chain()) {
        if (f.filter().equals("maildir")) {
          System.out.println(who + ": chain " + e.name() + " delivers "
              + (f.options().has("domains") ? f.options().get("domains") + " " : "")
              + "to Maildirs under " + f.options().path("path").asText() + "/<local-part>/");
        }
      }
    }
    System.out.flush();
    net.koukan.gateway.GatewayService gw = gateway;
    return UntilStopped.await(() -> {
      if (gw != null) {
        gw.close();
      }
      router.close();
    });
  }
}
