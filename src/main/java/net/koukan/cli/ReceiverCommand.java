package net.koukan.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import net.koukan.receiver.ReceiverServer;
import net.koukan.receiver.ReceiverSettings;
import net.koukan.tx.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code koukan receiver --listen HOST:PORT --dir DIR}: a REST receiver until SIGTERM/SIGINT. */
@Command(name = "receiver", mixinStandardHelpOptions = true,
    description = "Run a REST receiver (the application end of a router's rest_output): "
        + "accepts every recipient and writes each message to DIR as <id>.msg + <id>.tx.json.")
public final class ReceiverCommand implements Callable<Integer> {

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8002",
      description = "address to listen on (default: ${DEFAULT-VALUE}; [v6]:port for IPv6)")
  String listen;

  @Option(names = "--dir", paramLabel = "DIR", required = true,
      description = "directory the messages are written to (created if missing)")
  Path dir;

  @Option(names = "--base-uri", paramLabel = "URL",
      description = "URL clients reach this receiver at (default: http://HOST:PORT)")
  String baseUri;

  @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "300",
      description = "forget a transaction after this long without requests (default: ${DEFAULT-VALUE})")
  long ttl;

  @Option(names = "--max-size", paramLabel = "BYTES", defaultValue = "67108864",
      description = "largest message accepted (default: ${DEFAULT-VALUE})")
  long maxSize;

  @Override
  public Integer call() throws InterruptedException {
    HostPort addr;
    ReceiverServer server;
    try {
      addr = ReceiverServer.parseListen(listen);
      Files.createDirectories(dir);
      ReceiverSettings s = ReceiverSettings.defaults(dir.toAbsolutePath())
          .withBaseUri(baseUri)
          .withTtl(Duration.ofSeconds(ttl))
          .withMaxMessageSize(maxSize);
      server = new ReceiverServer(addr.host(), addr.port(), s, Clock.systemUTC());
      server.start();
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("koukan receiver: " + e.getMessage());
      return 2;
    } catch (RuntimeException e) {
      System.err.println("koukan receiver: cannot start: " + e.getMessage());
      return 1;
    }
    System.out.println("koukan receiver: listening on " + addr.host() + ":" + server.port()
        + " (" + server.baseUri() + "/senders/<name>/transactions), writing to " + dir.toAbsolutePath());
    System.out.flush();
    return UntilStopped.await(server::close);
  }
}
