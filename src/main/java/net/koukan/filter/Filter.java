package net.koukan.filter;

/**
 * One step of a chain. {@link #update} sees what is new; it may answer requests itself (a
 * rejection), add routing fields or signals, and pass the rest on with {@code next.update}. A
 * terminal filter (an output) does not call next: it must answer every request it is given, now or
 * in a later update. Filters run on the attempt's own (virtual) thread and may block.
 */
public interface Filter extends AutoCloseable {

  /** The rest of the chain after this filter. */
  @FunctionalInterface
  interface Next {
    void update(FilterTx tx, Delta delta);
  }

  void update(FilterTx tx, Delta delta, Next next);

  /**
   * The attempt is over (done, failed or cancelled: see {@link FilterTx#cancelled()}). Close
   * upstream sessions; cancel upstream work that has no final answer.
   */
  @Override
  default void close() {}
}
