package net.koukan.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import net.koukan.config.ConfigException;
import net.koukan.config.GatewayConfig;
import net.koukan.gateway.GatewayService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code koukan gateway CONFIG}: SMTP listeners bridged to a router, and outbound SMTP. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
    description = "Run a gateway: SMTP listeners that hand mail to the router over REST, and a REST"
        + " listener that delivers over SMTP. CONFIG is a gateway.yaml.")
final class GatewayCommand implements Callable<Integer> {

  @Parameters(paramLabel = "CONFIG", description = "path to gateway.yaml")
  Path config;

  @Override
  public Integer call() throws Exception {
    GatewayConfig cfg;
    try {
      cfg = GatewayConfig.load(config);
    } catch (ConfigException e) {
      System.err.println("koukan gateway: " + e.getMessage());
      return 2;
    }
    String loggingError = Logging.apply(cfg.logging());
    if (loggingError != null) {
      System.err.println("koukan gateway: " + config + ": " + loggingError);
      return 2;
    }
    GatewayService gw = new GatewayService(cfg, Clock.systemUTC(), config);
    try {
      gw.start();
    } catch (ConfigException e) {
      System.err.println("koukan gateway: " + e.getMessage());
      gw.close();
      return 2;
    } catch (Exception e) {
      System.err.println("koukan gateway: cannot start: " + e.getMessage());
      gw.close();
      return 1;
    }
    return UntilStopped.await(gw::close);
  }
}
