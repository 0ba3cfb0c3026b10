package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import net.koukan.cli.AuthSecretCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The secrets file format of the reference, verification, and {@code koukan auth-secret}. */
class AuthSecretsTest {
  @TempDir Path dir;

  @Test
  void verifiesAgainstSha256Hex() throws IOException {
    // sha256("test") as the reference's smtp_auth.py would write it
    Files.writeString(dir.resolve("s.json"),
        "{\"alice\": \"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}");
    AuthSecrets s = AuthSecrets.load(dir.resolve("s.json"));
    assertThat(s.verify("alice", "test")).isTrue();
    assertThat(s.verify("alice", "Test")).isFalse();
    assertThat(s.verify("bob", "test")).isFalse();
    assertThat(s.verify(null, null)).isFalse();
    assertThat(s.toString()).doesNotContain("9f86");
  }

  @Test
  void rejectsBadFiles() throws IOException {
    Files.writeString(dir.resolve("a.json"), "{\"alice\": \"nothex\"}");
    assertThatThrownBy(() -> AuthSecrets.load(dir.resolve("a.json"))).isInstanceOf(IOException.class).hasMessageContaining("alice");
    Files.writeString(dir.resolve("b.json"), "[1,2]");
    assertThatThrownBy(() -> AuthSecrets.load(dir.resolve("b.json"))).isInstanceOf(IOException.class);
  }

  @Test
  void newSecretsAreLongAndDistinct() {
    SecureRandom r = new SecureRandom();
    String a = AuthSecrets.newSecret(r);
    assertThat(a).hasSize(43).matches("[A-Za-z0-9_-]+");
    assertThat(AuthSecrets.newSecret(r)).isNotEqualTo(a);
  }

  @Test
  void putAddsAndReplacesKeepingOthers() throws IOException {
    Path f = dir.resolve("secrets.json");
    AuthSecrets.put(f, "alice", AuthSecrets.sha256Hex("one"));
    AuthSecrets.put(f, "bob", AuthSecrets.sha256Hex("two"));
    AuthSecrets.put(f, "alice", AuthSecrets.sha256Hex("three"));
    AuthSecrets s = AuthSecrets.load(f);
    assertThat(s.sha256Hex().keySet()).containsExactlyInAnyOrder("alice", "bob");
    assertThat(s.verify("alice", "three")).isTrue();
    assertThat(s.verify("alice", "one")).isFalse();
    assertThat(s.verify("bob", "two")).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
  }

  @Test
  void authSecretCommandPrintsAndStores() throws IOException {
    Path f = dir.resolve("cli.json");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code = new CommandLine(new AuthSecretCommand()).execute("carol", "--file", f.toString());
    } finally {
      System.setOut(old);
    }
    assertThat(code).isZero();
    String out = buf.toString(StandardCharsets.UTF_8);
    String secret = out.lines().filter(l -> l.startsWith("secret: ")).findFirst().orElseThrow().substring(8);
    String hash = out.lines().filter(l -> l.startsWith("sha256: ")).findFirst().orElseThrow().substring(8);
    assertThat(hash).isEqualTo(AuthSecrets.sha256Hex(secret));
    assertThat(AuthSecrets.load(f).verify("carol", secret)).isTrue();
    assertThat(AuthSecrets.load(f).sha256Hex()).isEqualTo(Map.of("carol", hash));
    assertThat(new CommandLine(new AuthSecretCommand()).execute("--file", f.toString())).isEqualTo(2);
  }
}
