package net.koukan.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.koukan.cli.DkimKeygenCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DkimKeygenCommandTest {

  /** Exit code, stdout, stderr of {@code koukan dkim-keygen ARGS}. */
  record Run(int exit, String out, String err) {}

  static Run keygen(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new DkimKeygenCommand());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** The TXT record of a printed zone line, its strings joined; asserts the 255-char limit. */
  static String record(String zoneLine, String owner) {
    assertThat(zoneLine.strip()).startsWith(owner + " IN TXT \"");
    List<String> strings = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(zoneLine);
    while (m.find()) {
      strings.add(m.group(1));
    }
    assertThat(strings).isNotEmpty().allMatch(s -> s.length() <= 255);
    return String.join("", strings);
  }

  @Test
  void rsaKeyAndRecord(@TempDir Path dir) throws Exception {
    Run r = keygen("--algorithm", "rsa", "--selector", "s2026", "--domain", "example.com",
        "--out", dir.resolve("keys").toString());
    assertThat(r.exit()).as(r.err()).isZero();
    Path key = dir.resolve("keys/s2026.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    DkimKeys.SigningKey k = DkimKeys.load(key);
    assertThat(k.algorithm()).isEqualTo(Algorithm.RSA_SHA256);
    assertThat(k.bits()).isEqualTo(2048);
    String rec = record(r.out(), "s2026._domainkey.example.com.");
    assertThat(r.out().split("\"").length).isGreaterThan(3); // more than one string
    KeyRecord pub = KeyRecord.parse(rec);
    assertThat(pub.keyType()).isEqualTo("rsa");
    // the printed public key matches the written private key
    byte[] data = "signed".getBytes();
    assertThat(Algorithm.RSA_SHA256.verify(pub.key(), data, Algorithm.RSA_SHA256.sign(k.key(), data))).isTrue();
  }

  @Test
  void ed25519KeyAndRecord(@TempDir Path dir) throws Exception {
    Run r = keygen("--algorithm", "ed25519", "--selector", "ed", "--domain", "example.com.", "--out",
        dir.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    DkimKeys.SigningKey k = DkimKeys.load(dir.resolve("ed.key"));
    assertThat(k.algorithm()).isEqualTo(Algorithm.ED25519_SHA256);
    KeyRecord pub = KeyRecord.parse(record(r.out(), "ed._domainkey.example.com."));
    byte[] data = "signed".getBytes();
    assertThat(Algorithm.ED25519_SHA256.verify(pub.key(), data, Algorithm.ED25519_SHA256.sign(k.key(), data))).isTrue();
  }

  @Test
  void neverOverwritesAndChecksArguments(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("s.key"), "precious");
    Run again = keygen("--algorithm", "ed25519", "--selector", "s", "--domain", "example.com", "--out", dir.toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("exists");
    assertThat(Files.readString(dir.resolve("s.key"))).isEqualTo("precious");
    assertThat(keygen("--algorithm", "dsa", "--selector", "s", "--domain", "example.com", "--out", dir.toString()).exit()).isEqualTo(2);
    assertThat(keygen("--bits", "512", "--selector", "t", "--domain", "example.com", "--out", dir.toString()).exit()).isEqualTo(2);
    assertThat(keygen("--selector", "a b", "--domain", "example.com", "--out", dir.toString()).exit()).isEqualTo(2);
    assertThat(keygen("--selector", "u", "--domain", "bad domain", "--out", dir.toString()).exit()).isEqualTo(2);
    assertThat(keygen("--selector", "u", "--out", dir.toString()).exit()).isNotZero(); // --domain missing
  }
}
