package net.koukan.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Locale;
import java.util.concurrent.Callable;
import net.koukan.dkim.Algorithm;
import net.koukan.dkim.DkimKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code koukan dkim-keygen --algorithm rsa|ed25519 --selector S --domain D --out DIR [--bits 2048]}:
 * writes DIR/S.key (PKCS#8 PEM, mode 0600; an existing file is never overwritten) and prints the
 * DNS TXT record to publish, split into 255-character strings.
 */
@Command(name = "dkim-keygen", mixinStandardHelpOptions = true,
    description = "Generate a DKIM private key as DIR/SELECTOR.key (PKCS#8 PEM, mode 0600) and print"
        + " the DNS TXT record to publish at SELECTOR._domainkey.DOMAIN.")
public final class DkimKeygenCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--algorithm", paramLabel = "rsa|ed25519", defaultValue = "rsa",
      description = "key algorithm (default: ${DEFAULT-VALUE}); for RFC 8463 dual signing make one of each")
  String algorithm;

  @Option(names = "--selector", required = true, paramLabel = "S", description = "DKIM selector (s=)")
  String selector;

  @Option(names = "--domain", required = true, paramLabel = "D", description = "signing domain (d=)")
  String domain;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for S.key (created if missing)")
  Path out;

  @Option(names = "--bits", defaultValue = "2048", paramLabel = "N",
      description = "RSA modulus size (default: ${DEFAULT-VALUE}; at least 1024, 2048 or more recommended)")
  int bits;

  @Override
  public Integer call() {
    java.io.PrintWriter stdout = spec.commandLine().getOut();
    java.io.PrintWriter stderr = spec.commandLine().getErr();
    Algorithm alg = switch (algorithm.toLowerCase(Locale.ROOT)) {
      case "rsa", "rsa-sha256" -> Algorithm.RSA_SHA256;
      case "ed25519", "ed25519-sha256" -> Algorithm.ED25519_SHA256;
      default -> null;
    };
    if (alg == null) {
      stderr.println("koukan dkim-keygen: --algorithm must be rsa or ed25519");
      return 2;
    }
    if (!selector.matches("[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?") || selector.contains("..")) {
      stderr.println("koukan dkim-keygen: bad selector " + selector);
      return 2;
    }
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    if (!d.matches("(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")) {
      stderr.println("koukan dkim-keygen: bad domain " + domain);
      return 2;
    }
    if (alg == Algorithm.RSA_SHA256 && (bits < DkimKeys.MIN_RSA_BITS || bits > 8192)) {
      stderr.println("koukan dkim-keygen: --bits must be between " + DkimKeys.MIN_RSA_BITS + " and 8192");
      return 2;
    }
    Path file = out.resolve(selector + ".key");
    KeyPair pair;
    try {
      pair = DkimKeys.generate(alg, bits);
    } catch (GeneralSecurityException e) {
      stderr.println("koukan dkim-keygen: " + e.getMessage());
      return 1;
    }
    try {
      Files.createDirectories(out);
      writePrivate(file, DkimKeys.toPem(pair.getPrivate()));
    } catch (FileAlreadyExistsException e) {
      stderr.println("koukan dkim-keygen: " + file + " exists; not overwriting it");
      return 1;
    } catch (IOException e) {
      stderr.println("koukan dkim-keygen: cannot write " + file + ": " + e);
      return 1;
    }
    if (alg == Algorithm.RSA_SHA256 && bits < DkimKeys.RECOMMENDED_RSA_BITS) {
      stderr.println("warning: RSA keys under " + DkimKeys.RECOMMENDED_RSA_BITS
          + " bits are weak (RFC 8301)");
    }
    stderr.println("private key: " + file.toAbsolutePath());
    stdout.println(DkimKeys.zoneLine(selector, d, DkimKeys.keyRecord(pair.getPublic())));
    stdout.flush();
    return 0;
  }

  /** Creates the file with mode 0600 from the start (no window where it is readable by others). */
  private static void writePrivate(Path file, String pem) throws IOException {
    try (FileChannel ch = create(file); OutputStream os = Channels.newOutputStream(ch)) {
      os.write(pem.getBytes(StandardCharsets.US_ASCII));
      os.flush();
      ch.force(true);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (IOException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  private static FileChannel create(Path file) throws IOException {
    try {
      return FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
  }
}
