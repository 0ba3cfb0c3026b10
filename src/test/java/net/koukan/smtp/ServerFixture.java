package net.koukan.smtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;

/** Starts {@link SmtpServer}s on 127.0.0.1 free ports with a {@link Recorder}; closes them after each test. */
abstract class ServerFixture {
  final Recorder rec = new Recorder();
  private final List<SmtpServer> servers = new ArrayList<>();
  private final List<TestClient> clients = new ArrayList<>();

  SmtpServer start(UnaryOperator<ListenerConfig.Builder> config) throws IOException {
    SmtpServer s = new SmtpServer(config.apply(ListenerConfig.builder(rec).host("127.0.0.1").port(0)
        .hostname("mx.test")).build());
    servers.add(s);
    s.start();
    return s;
  }

  SmtpServer start() throws IOException {
    return start(b -> b);
  }

  /** Opens a client and reads the greeting. */
  TestClient client(SmtpServer s) throws IOException {
    TestClient c = TestClient.open(s.port());
    clients.add(c);
    return c;
  }

  /** Opens a client, reads the greeting, says EHLO. */
  TestClient ehlo(SmtpServer s) throws IOException {
    TestClient c = client(s);
    TestClient.Got g = c.cmd("EHLO client.test");
    if (g.code() != 250) {
      throw new IOException("EHLO: " + g);
    }
    return c;
  }

  static SmtpLimits limits() {
    return SmtpLimits.defaults();
  }

  static SmtpTimeouts timeouts() {
    return SmtpTimeouts.defaults();
  }

  @AfterEach
  void stopAll() throws IOException {
    for (TestClient c : clients) {
      c.close();
    }
    for (SmtpServer s : servers) {
      s.close();
    }
  }
}
