package net.koukan.restout;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.koukan.rest.Dispatcher;
import net.koukan.rest.RestServer;
import net.koukan.rest.RestSettings;
import net.koukan.rest.SenderPolicy;
import net.koukan.rest.TransactionApi;
import net.koukan.storage.Database;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.storage.VersionWatch;
import net.koukan.testing.TestDb;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;

/**
 * Our own router's REST API (as in the rest package's ApiHarness) on a free loopback port over
 * SQLite, with an upstream stand-in that answers each transaction as a delivering output would:
 * MAIL at once, each recipient as it arrives, DATA once the body is complete. Senders:
 * {@code submission} (one-shot) and {@code ingress} tag {@code smtp-mx} (incremental).
 */
final class RouterUnderTest implements AutoCloseable {
  static final Response DATA_OK = new Response(250, "2.0.0 queued by the test router");

  final TestDb tdb;
  final Storage storage;
  final RestServer server;
  final String base;
  final Answering upstream = new Answering();

  static final SenderPolicy.Resolver SENDERS = (sender, tag) -> switch (sender) {
    case "submission" -> tag == null ? Optional.of(new SenderPolicy(false, false, false)) : Optional.empty();
    case "ingress" -> "smtp-mx".equals(tag) ? Optional.of(new SenderPolicy(true, false, false)) : Optional.empty();
    default -> Optional.empty();
  };

  RouterUnderTest(Path dir, int chunkSize) throws IOException {
    tdb = TestDb.open(Database.Dialect.SQLITE, dir, 16);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    base = "http://127.0.0.1:" + port;
    storage = new Storage(tdb.db, Clock.systemUTC(), new VersionWatch(), 1 << 24);
    storage.startSession(base, true);
    upstream.storage = storage;
    TransactionApi api = new TransactionApi(storage, SENDERS,
        new RestSettings(base, base, chunkSize, 1 << 24, 4, 30), upstream);
    server = new RestServer("127.0.0.1", port, api, null).start();
  }

  TxRow onlyRow() {
    if (upstream.created.size() != 1) {
      throw new AssertionError("expected one transaction, have " + upstream.created);
    }
    return storage.read(upstream.created.getFirst()).orElseThrow();
  }

  @Override
  public void close() {
    upstream.threads.forEach(Thread::interrupt);
    for (Thread t : upstream.threads) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    server.close();
    tdb.close();
  }

  /** Answers transactions as they are created (cut-through), like a delivering output handler. */
  static final class Answering implements Dispatcher {
    volatile Storage storage;
    volatile boolean answerData = true;
    final List<String> created = new CopyOnWriteArrayList<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    @Override
    public boolean cutThrough() {
      return true;
    }

    @Override
    public void created(TxRow row) {
      created.add(row.restId());
      threads.add(Thread.ofVirtual().start(() -> answer(row.restId())));
    }

    private void answer(String id) {
      try {
        int attempt = storage.startAttempt(id);
        storage.writeResponses(id, attempt, responses("mail_response", TxJson.toJson(new Response(250, "ok"))));
        int answered = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
          try (VersionWatch.Watch w = storage.watch().watch(id)) {
            TxRow row = storage.read(id).orElseThrow();
            if (row.cancelled()) {
              return;
            }
            int n = row.envelope().rcptTo().size();
            if (n > answered) {
              ArrayNode a = TxJson.MAPPER.createArrayNode();
              for (int i = 0; i < n; i++) {
                a.add(TxJson.toJson(new Response(250, "ok")));
              }
              storage.writeResponses(id, attempt, responses("rcpt_response", a));
              answered = n;
              continue;
            }
            if (row.inputDone() && answerData) {
              storage.writeResponses(id, attempt, responses("data_response", TxJson.toJson(DATA_OK)));
              storage.finishAttempt(id, null, "upstream response success");
              return;
            }
            if (w.awaitNewer(row.version(), deadline) < 0) {
              return;
            }
          }
        }
      } catch (InterruptedException e) {
        // the test is over
      }
    }

    private static ObjectNode responses(String field, com.fasterxml.jackson.databind.JsonNode value) {
      ObjectNode o = TxJson.MAPPER.createObjectNode();
      o.set(field, value);
      return o;
    }
  }
}
