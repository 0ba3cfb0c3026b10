package net.koukan.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import net.koukan.smtp.AuthSecrets;
import net.koukan.smtp.BareLfPolicy;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.Sink;
import net.koukan.smtp.SmtpLimits;
import net.koukan.smtp.SmtpServer;
import net.koukan.smtp.Tls;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code koukan sink PORT [--dir DIR]}: the reference's fake_smtpd on our SMTP server, until
 * SIGTERM/SIGINT. Accepts everything except the magic recipients (see {@link Sink}).
 */
@Command(name = "sink", mixinStandardHelpOptions = true,
    description = {"Run a fake SMTP server that accepts every message and prints a summary of each "
        + "(or stores <n>.msg + <n>.json in DIR).",
        "Recipient local parts starting with rcpttemp/rcptperm/rcpttimeout get 450/550/no answer at RCPT; "
        + "with one recipient, datatemp/dataperm/datatimeout get 450/550/no answer at the end of data."})
public final class SinkCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "PORT", description = "port to listen on (0: any free port)")
  int port;

  @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "address to listen on (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "store each message as <n>.msg and its envelope as <n>.json (created if missing)")
  Path dir;

  @Option(names = "--lmtp", paramLabel = "yes|no", defaultValue = "no",
      description = "speak LMTP instead of SMTP: only 'no' is supported (default: ${DEFAULT-VALUE})")
  String lmtp;

  @Option(names = "--hostname", defaultValue = "localhost",
      description = "name in the greeting and EHLO reply (default: ${DEFAULT-VALUE})")
  String hostname;

  @Option(names = "--max-size", paramLabel = "BYTES", defaultValue = "33554432",
      description = "largest message accepted, advertised as SIZE (default: ${DEFAULT-VALUE})")
  long maxSize;

  @Option(names = "--cert", paramLabel = "PEM", description = "certificate chain: enables STARTTLS")
  Path cert;

  @Option(names = "--key", paramLabel = "PEM", description = "private key for --cert")
  Path key;

  @Option(names = "--smtps", description = "implicit TLS instead of STARTTLS (needs --cert/--key)")
  boolean smtps;

  @Option(names = "--auth-secrets", paramLabel = "JSON",
      description = "user -> sha256 secrets file: enables AUTH PLAIN/LOGIN over TLS")
  Path authSecrets;

  @Option(names = "--bare-lf", paramLabel = "reject|normalize", defaultValue = "reject",
      description = "bare LF/CR in message data (default: ${DEFAULT-VALUE})")
  String bareLf;

  @Override
  public Integer call() throws InterruptedException {
    SmtpServer server;
    try {
      if (!lmtp.equalsIgnoreCase("no")) {
        throw new IllegalArgumentException("--lmtp " + lmtp + ": LMTP is not supported, only --lmtp no");
      }
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException("--cert and --key go together");
      }
      if (dir != null) {
        Files.createDirectories(dir);
      }
      ListenerConfig.Builder b = ListenerConfig.builder(
              new Sink(dir == null ? null : dir.toAbsolutePath(), System.out, Clock.systemUTC()))
          .host(host).port(port).hostname(hostname)
          .limits(SmtpLimits.defaults().withMaxMessageSize(maxSize))
          .bareLf(BareLfPolicy.valueOf(bareLf.toUpperCase(Locale.ROOT)));
      if (cert != null) {
        b.tls(Tls.serverContext(cert, key)).smtps(smtps);
      }
      if (authSecrets != null) {
        b.auth(AuthSecrets.load(authSecrets));
      }
      server = new SmtpServer(b.build());
      server.start();
    } catch (IllegalArgumentException | IOException | GeneralSecurityException e) {
      System.err.println("koukan sink: " + e.getMessage());
      return 2;
    }
    System.out.println("koukan sink: listening on " + host + ":" + server.port()
        + (dir != null ? ", writing to " + dir.toAbsolutePath() : ""));
    System.out.flush();
    return UntilStopped.await(server::close);
  }
}
