package net.koukan.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code koukan test}: documented here; the launcher script runs the suite with Maven. */
@Command(name = "test", mixinStandardHelpOptions = true,
    description = "Run the whole test suite (mvn verify) from the repository root.")
final class TestCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    Process p = new ProcessBuilder("mvn", "-B", "verify").inheritIO().start();
    return p.waitFor();
  }
}
