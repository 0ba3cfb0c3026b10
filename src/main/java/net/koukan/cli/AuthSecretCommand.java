package net.koukan.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import net.koukan.smtp.AuthSecrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code koukan auth-secret [USER] [--file PATH]}: makes a new SMTP AUTH secret (256 random bits)
 * and prints it with its SHA-256; with {@code --file}, adds or replaces USER in the JSON secrets
 * file a listener's {@code auth_secrets} points to.
 */
@Command(name = "auth-secret", mixinStandardHelpOptions = true,
    description = "Print a new high-entropy SMTP AUTH secret and its sha256 hex; with --file, "
        + "add or replace USER in that JSON secrets file ({\"user\": \"<sha256 hex>\"}).")
public final class AuthSecretCommand implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "USER", description = "the user name")
  String user;

  @Option(names = "--file", paramLabel = "PATH", description = "JSON secrets file to update (created if missing)")
  Path file;

  @Override
  public Integer call() {
    if (file != null && (user == null || user.isEmpty())) {
      System.err.println("koukan auth-secret: --file needs a USER");
      return 2;
    }
    String secret = AuthSecrets.newSecret(new SecureRandom());
    String hash = AuthSecrets.sha256Hex(secret);
    if (file != null) {
      try {
        AuthSecrets.put(file, user, hash);
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("koukan auth-secret: " + e.getMessage());
        return 1;
      }
    }
    if (user != null) {
      System.out.println("user:   " + user);
    }
    System.out.println("secret: " + secret);
    System.out.println("sha256: " + hash);
    if (file != null) {
      System.out.println("written to " + file.toAbsolutePath());
    }
    return 0;
  }
}
