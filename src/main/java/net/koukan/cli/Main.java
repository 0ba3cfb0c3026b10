package net.koukan.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code koukan}: the router, the gateway and the tools, one subcommand each. */
@Command(name = "koukan", mixinStandardHelpOptions = true, version = "koukan 0.1.0",
    description = "Koukan for the JVM: an email transport with a REST/JSON API.",
    subcommands = {RunCommand.class, RouterCommand.class, GatewayCommand.class, ReceiverCommand.class,
        SendRestCommand.class, SendSmtpCommand.class, SinkCommand.class, DropCommand.class, AuthSecretCommand.class, SelfSignedCertCommand.class,
        DkimKeygenCommand.class, TestCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Helidon logs through java.util.logging: send it to the same place as everything else.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    int code = new CommandLine(new Main()).execute(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
