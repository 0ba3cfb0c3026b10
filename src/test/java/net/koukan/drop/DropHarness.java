package net.koukan.drop;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.koukan.drop.swift.SwiftAuth;
import net.koukan.filter.BlobSource;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.SmtpLimits;
import net.koukan.smtp.SmtpServer;
import net.koukan.smtpclient.Reply;
import net.koukan.smtpclient.SmtpClient;
import net.koukan.smtpclient.SmtpClientConfig;
import net.koukan.tx.Mailbox;

/** A drop listener on a free loopback port, and a plain SMTP client to talk to it. */
final class DropHarness implements AutoCloseable {
  final DropService service;
  final SmtpServer server;

  DropHarness(DropConfig config, Clock clock) throws IOException {
    service = new DropService(config, clock);
    service.startupCheck();
    server = new SmtpServer(ListenerConfig.builder(DropSession.factory(service, clock))
        .hostname("drop.test").limits(SmtpLimits.defaults().withMaxMessageSize(config.maxMessageSize())).build());
    server.start();
  }

  int port() {
    return server.port();
  }

  static SectionConfig swiftSection(String name, SwiftAuth auth, String container, String... rcpts) {
    return new SectionConfig(name, "test", List.of(rcpts), container, auth, null, "message/rfc822", null,
        Duration.ofSeconds(5));
  }

  static SectionConfig folderSection(String name, Path folder, String... rcpts) {
    return new SectionConfig(name, "test", List.of(rcpts), null, null, folder, "message/rfc822", null,
        Duration.ofSeconds(5));
  }

  static DropConfig config(Duration storeTimeout, SectionConfig... sections) {
    return new DropConfig("drop.test", "127.0.0.1", 0, DropConfig.DEFAULT_MAX_SIZE, storeTimeout, false, false,
        List.of(sections), Map.of(), null);
  }

  /** Sends one message; returns the final reply (or the first refusal) as "code text". */
  static String send(int port, String from, List<String> rcpts, byte[] content) throws Exception {
    SmtpClientConfig cfg = new SmtpClientConfig("client.test", SmtpClientConfig.Protocol.SMTP,
        SmtpClientConfig.TlsMode.NONE, null, true, false, 1 << 20,
        new SmtpClientConfig.Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30),
            Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(120)));
    try (SmtpClient c = new SmtpClient(cfg)) {
      Reply r = c.open("127.0.0.1", port);
      if (r != null) {
        return r.code() + " " + r.text();
      }
      List<Mailbox> to = new ArrayList<>();
      rcpts.forEach(a -> to.add(Mailbox.of(a)));
      SmtpClient.EnvelopeReplies e = c.envelope(Mailbox.of(from), to, false);
      if (!e.mail().positive()) {
        return e.mail().code() + " " + e.mail().text();
      }
      for (Reply rr : e.rcpts()) {
        if (!rr.positive()) {
          return rr.code() + " " + rr.text();
        }
      }
      List<Reply> d = c.body(BlobSource.of(content));
      Reply last = d.get(d.size() - 1);
      c.quit();
      return last.code() + " " + last.text();
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
