package net.koukan.smtpclient;

import static net.koukan.smtpclient.Fixtures.bytes;
import static net.koukan.smtpclient.Fixtures.deliver;
import static net.koukan.smtpclient.Fixtures.options;
import static net.koukan.smtpclient.Fixtures.tx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.koukan.filter.FilterTx;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code smtp_output} against aiosmtpd 1.4 (the reference gateway's SMTP library): no
 * PIPELINING, so one command at a time; SMTPUTF8 and 8BITMIME offered, so a UTF-8 sender with
 * {@code BODY=8BITMIME} goes through; the message arrives un-stuffed and whole.
 */
class AiosmtpdTest {
  @TempDir Path dir;

  @Test
  void deliversUtf8AndEightBitToAiosmtpd() throws Exception {
    try (Peers.Peer peer = Peers.aiosmtpd(dir)) {
      FilterTx tx = deliver(options("{}", peer.port), tx(new Mailbox("jösé@example.com",
          List.of(new EsmtpParam("BODY", "8BITMIME"))), "bö@example.net", "c@example.net"),
          bytes(Fixtures.MESSAGE.replace("hello", "héllo")));
      assertThat(tx.mailResponse()).isEqualTo(new Response(250, "OK"));
      assertThat(tx.rcptResponses()).containsOnly(new Response(250, "OK"));
      assertThat(tx.dataResponse()).isEqualTo(new Response(250, "OK"));

      Path out = dir.resolve("aiosmtpd.out");
      await().atMost(Duration.ofSeconds(5))
          .until(() -> Files.readString(out, StandardCharsets.UTF_8).contains("END MESSAGE"));
      String printed = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(printed).contains("mail options: ['BODY=8BITMIME', 'SMTPUTF8']");
      String message = printed.substring(printed.indexOf("From: alice@example.com"), printed.indexOf("X-Peer:"));
      String body = printed.substring(printed.indexOf("X-Peer:"));
      body = body.substring(body.indexOf('\n') + 1, body.indexOf("------------ END MESSAGE"));
      // Debugging prints the headers (plus its X-Peer), then the body, with LF line ends
      assertThat(message + body).isEqualTo(
          Fixtures.MESSAGE.replace("hello", "héllo").replace("\r\n", "\n"));
    }
  }
}
