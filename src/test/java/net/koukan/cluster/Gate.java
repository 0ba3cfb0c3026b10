package net.koukan.cluster;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;

/**
 * A test upstream ({@code filter: gate}) of one router: MAIL and RCPT get 250 at once; DATA waits
 * until the gate is opened (while {@link #blocking}), then answers {@link #data}. Records which
 * transactions reached DATA, and the attempts that were interrupted while waiting (self-fencing).
 */
final class Gate implements FilterFactory {
  static final Response OK = new Response(250, "ok");

  final String node;
  volatile boolean blocking;
  volatile Response data;
  private final CountDownLatch open = new CountDownLatch(1);
  final List<String> arrived = new CopyOnWriteArrayList<>();
  final List<String> delivered = new CopyOnWriteArrayList<>();
  final AtomicInteger interrupted = new AtomicInteger();

  Gate(String node, boolean blocking, Response data) {
    this.node = node;
    this.blocking = blocking;
    this.data = data;
  }

  void open() {
    open.countDown();
  }

  @Override
  public String name() {
    return "gate";
  }

  @Override
  public Supplier<Filter> prepare(FilterStanza stanza) {
    return () -> (FilterTx tx, Delta delta, Filter.Next next) -> {
      if (delta.mailFrom()) {
        tx.mailResponse(OK);
      }
      for (int i : delta.rcpts()) {
        tx.rcptResponse(i, OK);
      }
      if (delta.body()) {
        arrived.add(tx.restId());
        if (blocking) {
          try {
            open.await();
          } catch (InterruptedException e) {
            interrupted.incrementAndGet();
            Thread.currentThread().interrupt();
            return;
          }
        }
        delivered.add(tx.restId());
        tx.dataResponse(new Response(data.code(), data.message() + " by " + node));
      }
    };
  }
}
