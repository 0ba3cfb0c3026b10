package net.koukan.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code koukan self-signed-cert DIR}: a test certificate for localhost as DIR/cert.pem + key.pem. */
@Command(name = "self-signed-cert", mixinStandardHelpOptions = true,
    description = "Write a self-signed certificate for localhost/127.0.0.1 (EC P-256) as DIR/cert.pem"
        + " and DIR/key.pem, unless both exist. For tests and local set-ups only.")
final class SelfSignedCertCommand implements Callable<Integer> {
  @Parameters(paramLabel = "DIR")
  Path dir;

  @Override
  public Integer call() throws Exception {
    SelfSignedTls.ensure(dir);
    System.out.println("certificate: " + dir.resolve("cert.pem") + "\nprivate key: " + dir.resolve("key.pem"));
    return 0;
  }
}
