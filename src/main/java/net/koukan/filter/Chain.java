package net.koukan.filter;

import java.util.List;
import net.koukan.tx.Response;

/** An ordered list of filters, the last of which terminates (an output). */
public final class Chain implements AutoCloseable {
  private final List<Filter> filters;

  public Chain(List<Filter> filters) {
    if (filters.isEmpty()) {
      throw new IllegalArgumentException("a chain needs at least one filter");
    }
    this.filters = List.copyOf(filters);
  }

  /** Runs one update through the chain, then fills the responses that follow from others. */
  public void update(FilterTx tx, Delta delta) {
    if (!delta.isEmpty()) {
      step(0, tx, delta);
    }
    if (delta.mailFrom() && tx.mailResponse() == null && tx.body() != null && !tx.rcptTo().isEmpty()
        && tx.rcptResponses().stream().allMatch(r -> r != null && !r.ok())) {
      // every recipient was refused before the output: nothing went upstream, MAIL itself was fine
      tx.mailResponse(new Response(250, "2.1.0 MAIL ok (not sent upstream: no valid recipients)"));
    }
    tx.fillPreconditions();
  }

  private void step(int i, FilterTx tx, Delta delta) {
    if (i == filters.size()) {
      // the last filter passed something on: nothing terminates this chain
      tx.fillUnanswered(delta, new Response(554, "5.3.0 chain has no output for this request"));
      return;
    }
    filters.get(i).update(tx, delta, (t, d) -> {
      Delta rest = d.unanswered(t);
      if (!rest.isEmpty() && !t.done()) {
        step(i + 1, t, rest);
      }
    });
  }

  public List<Filter> filters() {
    return filters;
  }

  @Override
  public void close() {
    for (int i = filters.size() - 1; i >= 0; i--) {
      filters.get(i).close();
    }
  }
}
