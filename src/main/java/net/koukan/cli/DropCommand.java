package net.koukan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.koukan.config.ConfigException;
import net.koukan.drop.Destination;
import net.koukan.drop.DropConfig;
import net.koukan.drop.DropConfigException;
import net.koukan.drop.DropQueue;
import net.koukan.drop.DropService;
import net.koukan.drop.DropSession;
import net.koukan.drop.DropYaml;
import net.koukan.drop.SwiftDropEnv;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.SmtpLimits;
import net.koukan.smtp.SmtpServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code koukan drop serve|check|list|claim|finish}: the object-store drop (docs/object-store-drop.md).
 * Configuration from {@code --config drop.yaml}, else from SwiftDrop's environment variables.
 */
@Command(name = "drop", mixinStandardHelpOptions = true,
    description = "Object-store drop: SMTP to OpenStack Swift containers (or local folders), 250 only once stored; "
        + "and the lease-based consumer.",
    subcommands = {DropCommand.Serve.class, DropCommand.Check.class, DropCommand.ListCmd.class,
        DropCommand.Claim.class, DropCommand.Finish.class})
public final class DropCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** --config, else the environment. */
  static final class ConfigSource {
    @Option(names = "--config", paramLabel = "YAML",
        description = "drop.yaml; without it, SwiftDrop's environment (SWIFTDROP_<SECTION>_<OPTION>, RECIPIENTS, "
            + "FORWARDS, MYHOSTNAME, DROP_*) is read")
    Path config;

    DropConfig load(String listenOverride) {
      if (config != null) {
        return DropYaml.load(config, listenOverride);
      }
      if (!SwiftDropEnv.present(System.getenv())) {
        throw new DropConfigException("no --config and no SWIFTDROP_* environment variables");
      }
      return SwiftDropEnv.parse(System.getenv(), listenOverride);
    }
  }

  static int configError(String cmd, RuntimeException e) {
    System.err.println("koukan drop " + cmd + ": configuration error:");
    for (String line : e.getMessage().split("\n")) {
      System.err.println("  " + line);
    }
    return 2;
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = "Listen for SMTP and store each message in its sections' containers; answer 250 only once "
          + "every object is stored. Refuses to start when a destination fails the start-up check.")
  static final class Serve implements Callable<Integer> {
    @Mixin ConfigSource source = new ConfigSource();

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "overrides DROP_LISTEN / listen")
    String listen;

    @Override
    public Integer call() throws InterruptedException {
      SmtpServer server;
      DropService service;
      try {
        DropConfig cfg = source.load(listen);
        service = new DropService(cfg, Clock.systemUTC());
        service.startupCheck();
        ListenerConfig lc = ListenerConfig.builder(DropSession.factory(service, Clock.systemUTC()))
            .host(cfg.listenHost()).port(cfg.listenPort()).hostname(cfg.hostname())
            .proxyProtocol(cfg.proxyProtocol())
            .limits(SmtpLimits.defaults().withMaxMessageSize(cfg.maxMessageSize()))
            .build();
        server = new SmtpServer(lc);
        server.start();
      } catch (DropConfigException | ConfigException e) {
        return configError("serve", e);
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("koukan drop serve: " + e.getMessage());
        return 2;
      }
      System.out.println("koukan drop: listening on " + server.config().host() + ":" + server.port() + ", "
          + service.destinations().size() + " destination(s): "
          + service.destinations().values().stream().map(d -> d.name() + " -> " + d.describe()).toList());
      System.out.flush();
      return UntilStopped.await(server::close);
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = "Authenticate and HEAD every destination; print every problem; exit 1 if any.")
  static final class Check implements Callable<Integer> {
    @Mixin ConfigSource source = new ConfigSource();

    @Override
    public Integer call() {
      try {
        DropService service = new DropService(source.load(null), Clock.systemUTC());
        List<String> problems = service.check();
        service.destinations().values().forEach(d -> System.out.println(
            (service.unavailable(d.name()) ? "FAIL " : "ok   ") + d.name() + ": " + d.describe()));
        problems.forEach(p -> System.err.println("koukan drop check: " + p));
        return problems.isEmpty() ? 0 : 1;
      } catch (DropConfigException | ConfigException e) {
        return configError("check", e);
      }
    }
  }

  /** --section: which destination the consumer works on. */
  static final class QueueOptions {
    @Mixin ConfigSource source = new ConfigSource();

    @Option(names = "--section", paramLabel = "NAME", description = "section (default: the first one)")
    String section;

    DropQueue queue() {
      DropService service = new DropService(source.load(null), Clock.systemUTC());
      Destination d = section == null ? service.destinations().values().iterator().next()
          : service.destinations().get(section.toUpperCase(java.util.Locale.ROOT)) != null
              ? service.destinations().get(section.toUpperCase(java.util.Locale.ROOT))
              : service.destinations().get(section);
      if (d == null) {
        throw new DropConfigException("--section " + section + ": no such section (have: "
            + service.destinations().keySet() + ")");
      }
      return d.queue();
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List a folder (cur, processing, done, failed, retry): last-modified, size, name.")
  static final class ListCmd implements Callable<Integer> {
    @Mixin QueueOptions q = new QueueOptions();

    @Parameters(index = "0", paramLabel = "FOLDER", defaultValue = "cur")
    String folder;

    @Option(names = "--marker", description = "start after this name (paging)")
    String marker;

    @Option(names = "--limit", defaultValue = "1000", description = "names per page; all pages are listed unless --one-page")
    int limit;

    @Option(names = "--one-page", description = "print one page and, if there is more, the next marker")
    boolean onePage;

    @Override
    public Integer call() {
      try {
        DropQueue queue = q.queue();
        DropQueue.Folder f = DropQueue.Folder.parse(folder);
        String m = marker;
        do {
          DropQueue.Page p = queue.list(f, m, limit);
          for (DropQueue.Entry e : p.entries()) {
            System.out.println(e.lastModified() + " " + e.size() + " " + e.name());
          }
          m = p.nextMarker();
          if (onePage && m != null) {
            System.out.println("next-marker " + m);
            break;
          }
        } while (m != null);
        return 0;
      } catch (DropConfigException | ConfigException e) {
        return configError("list", e);
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("koukan drop list: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "claim", mixinStandardHelpOptions = true,
      description = "Claim a message (the next one, or NAME from --from) under a lease: it moves to processing/. "
          + "Prints the claim id (for finish); exit 3 when there is nothing to claim.")
  static final class Claim implements Callable<Integer> {
    @Mixin QueueOptions q = new QueueOptions();

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "a message name (default: the next)")
    String name;

    @Option(names = "--from", defaultValue = "cur", description = "folder of NAME: cur, retry or processing (expired lease)")
    String from;

    @Option(names = "--lease", defaultValue = "300", description = "lease in seconds (default: ${DEFAULT-VALUE})")
    long lease;

    @Option(names = "--output", paramLabel = "FILE", description = "also download the message into FILE ('-': stdout)")
    String output;

    @Override
    public Integer call() {
      try {
        DropQueue queue = q.queue();
        Duration l = Duration.ofSeconds(lease);
        Optional<DropQueue.Claim> c = name == null ? queue.claimNext(l)
            : queue.claim(DropQueue.Folder.parse(from), name, l);
        if (c.isEmpty()) {
          System.err.println("koukan drop claim: nothing to claim");
          return 3;
        }
        if (output != null) {
          try (InputStream in = queue.open(c.get())) {
            if (output.equals("-")) {
              OutputStream out = System.out;
              in.transferTo(out);
              out.flush();
            } else {
              Files.copy(in, Path.of(output), StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
        if (output == null || !output.equals("-")) {
          System.out.println(c.get().id());
        } else {
          System.err.println("claim " + c.get().id());
        }
        return 0;
      } catch (DropConfigException | ConfigException e) {
        return configError("claim", e);
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("koukan drop claim: " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "finish", mixinStandardHelpOptions = true,
      description = "Move a claimed message from processing/ to done, failed or retry, ending its lease. "
          + "Exit 4 when the lease was lost to another consumer.")
  static final class Finish implements Callable<Integer> {
    @Mixin QueueOptions q = new QueueOptions();

    @Parameters(index = "0", paramLabel = "CLAIM", description = "the id printed by claim")
    String claim;

    @Parameters(index = "1", paramLabel = "FOLDER", description = "done, failed or retry")
    String folder;

    @Override
    public Integer call() {
      try {
        DropQueue queue = q.queue();
        queue.finish(queue.resume(claim), DropQueue.Folder.parse(folder));
        return 0;
      } catch (DropConfigException | ConfigException e) {
        return configError("finish", e);
      } catch (DropQueue.LeaseLostException e) {
        System.err.println("koukan drop finish: " + e.getMessage());
        return 4;
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("koukan drop finish: " + e.getMessage());
        return 1;
      }
    }
  }
}
