package net.koukan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import net.koukan.storage.Database;
import net.koukan.testing.RouterHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SendRestCommandTest {
  static final String YAML = """
      rest_listener: {addr: ["127.0.0.1", %PORT%], session_uri: "http://127.0.0.1:%PORT%"}
      sender:
      - name: submission
        output_chain: local
      endpoint:
      - name: local
        chain:
        - filter: maildir
          path: %DIR%/mail
      storage: {url: "%STORAGE%"}
      """;

  @TempDir Path dir;
  RouterHarness h;

  @AfterEach
  void stop() {
    if (h != null) {
      h.close();
    }
  }

  int run(ByteArrayOutputStream out, String... args) {
    SendRestCommand cmd = new SendRestCommand();
    cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
    return new CommandLine(cmd).execute(args);
  }

  @Test
  void sendsToEveryRecipientReusingTheBody() throws Exception {
    h = new RouterHarness(Database.Dialect.SQLITE, dir, YAML, Clock.systemUTC());
    Path msg = dir.resolve("m.eml");
    Files.writeString(msg, "Subject: via send-rest\r\n\r\nhello\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc = run(out, "--router", h.http.base, "--from", "alice@example.com", "--to", "bob@example.com",
        "--to", "carol@example.com", "--message", msg.toString(), "--timeout", "30");
    assertThat(rc).as(out.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("bob@example.com: upstream response success")
        .contains("carol@example.com: upstream response success");
    for (String who : List.of("bob", "carol")) {
      try (var files = Files.list(dir.resolve("mail/" + who + "/new"))) {
        assertThat(Files.readString(files.findFirst().orElseThrow())).contains("Subject: via send-rest\nhello\n".replace("\nhello", "\n\nhello"));
      }
    }
  }

  @Test
  void failuresGiveANonZeroExit() throws Exception {
    h = new RouterHarness(Database.Dialect.SQLITE, dir, YAML, Clock.systemUTC());
    Path msg = dir.resolve("m.eml");
    Files.writeString(msg, "Subject: x\r\n\r\nhello\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(run(out, "--router", h.http.base, "--sender", "nobody", "--from", "a@x", "--to", "b@example.com",
        "--message", msg.toString())).isEqualTo(1);
    assertThat(run(out, "--router", h.http.base, "--from", "a@x", "--to", "bad@@example.com",
        "--message", msg.toString(), "--timeout", "30")).isEqualTo(1);
    assertThat(run(out, "--router", h.http.base, "--from", "a@x", "--to", "b@example.com")).isEqualTo(2);
  }
}
