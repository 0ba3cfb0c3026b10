package net.koukan.filter;

import java.util.ArrayList;
import java.util.List;

/**
 * What is new in a transaction since the chain last saw it: MAIL FROM, recipients (indices into
 * {@link FilterTx#rcptTo()}), the body. A filter passes on the part it did not answer itself.
 */
public record Delta(boolean mailFrom, List<Integer> rcpts, boolean body) {
  public Delta {
    rcpts = List.copyOf(rcpts);
  }

  public static final Delta EMPTY = new Delta(false, List.of(), false);

  public boolean isEmpty() {
    return !mailFrom && rcpts.isEmpty() && !body;
  }

  /** This delta minus every request that already has a response in {@code tx}. */
  public Delta unanswered(FilterTx tx) {
    List<Integer> r = new ArrayList<>();
    for (int i : rcpts) {
      if (tx.rcptResponse(i) == null) {
        r.add(i);
      }
    }
    return new Delta(mailFrom && tx.mailResponse() == null, r, body && tx.dataResponse() == null);
  }
}
