package net.koukan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import net.koukan.config.ConfigException;
import net.koukan.config.GatewayConfig;
import net.koukan.config.RouterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code koukan run}: the embedded default, everything in one process on loopback. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run Koukan on its embedded default: REST API on 127.0.0.1:8000, SQLite under ./var.",
        "Use --config to start from your own router.yaml instead."})
final class RunCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "a router.yaml instead of the default")
  Path config;

  @Option(names = "--gateway-config", paramLabel = "FILE",
      description = "a gateway.yaml for the SMTP listeners instead of the default (127.0.0.1:1025 and :1587)")
  Path gatewayConfig;

  @Option(names = "--no-smtp", description = "run the router only, without SMTP listeners")
  boolean noSmtp;

  @Option(names = "--print-default-config", description = "print the embedded default configs and exit")
  boolean printDefault;

  static String defaultYaml() throws IOException {
    return resource("/default-router.yaml");
  }

  static String resource(String name) throws IOException {
    try (InputStream in = RunCommand.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (printDefault) {
      System.out.print("# ---- router.yaml\n" + defaultYaml() + "# ---- gateway.yaml\n"
          + resource("/default-gateway.yaml"));
      return 0;
    }
    RouterConfig cfg;
    try {
      cfg = config != null ? RouterConfig.load(config)
          : RouterConfig.parse(defaultYaml(), "(embedded default-router.yaml)");
    } catch (ConfigException e) {
      System.err.println("koukan run: " + e.getMessage());
      return 2;
    }
    GatewayConfig gw = null;
    if (!noSmtp) {
      if (gatewayConfig == null) {
        // the embedded default uses a generated certificate and a secrets file under ./var
        try {
          SelfSignedTls.ensure(Path.of("var/tls"));
          Path secrets = Path.of("var/auth-secrets.json");
          if (!java.nio.file.Files.exists(secrets)) {
            java.nio.file.Files.writeString(secrets, "{}\n");
          }
        } catch (Exception e) {
          System.err.println("koukan run: cannot prepare var/tls and var/auth-secrets.json: " + e.getMessage());
          return 1;
        }
      }
      try {
        gw = gatewayConfig != null ? GatewayConfig.load(gatewayConfig)
            : GatewayConfig.parse(resource("/default-gateway.yaml"), "(embedded default-gateway.yaml)");
      } catch (ConfigException e) {
        System.err.println("koukan run: " + e.getMessage());
        return 2;
      }
    }
    return RouterCommand.runUntilSignalled(cfg, config, "koukan run", gw, gatewayConfig);
  }
}
