package net.koukan.delivery;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;

/**
 * A scripted upstream ({@code filter: script}): for attempt N (counted across all transactions)
 * it answers MAIL, each RCPT and DATA as the script says, and records what it received.
 */
final class ScriptOutput implements FilterFactory {
  /** The answers of one attempt; a null response means "do not answer". */
  record Answers(Response mail, Response rcpt, Response data) {}

  /** What one attempt saw. */
  record Seen(String mailFrom, List<String> rcpts, byte[] body, String restEndpoint, List<?> resolution) {}

  static final Response OK = new Response(250, "ok");

  final AtomicInteger attempts = new AtomicInteger();
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final IntFunction<Answers> script;
  /** Messages from the null sender (bounces) are accepted and recorded, not scripted. */
  boolean acceptBounces;
  /** Attempts (numbered as above) in which the filter throws instead of answering: a bug. */
  volatile java.util.function.IntPredicate throwsOn = n -> false;

  ScriptOutput(IntFunction<Answers> script) {
    this.script = script;
  }

  static ScriptOutput always(Response mail, Response rcpt, Response data) {
    return new ScriptOutput(n -> new Answers(mail, rcpt, data));
  }

  @Override
  public String name() {
    return "script";
  }

  @Override
  public Supplier<Filter> prepare(FilterStanza stanza) {
    return () -> new Filter() {
      Answers answers;
      int attempt;

      @Override
      public void update(FilterTx tx, Delta delta, Next next) {
        if (answers == null) {
          boolean bounce = acceptBounces && tx.mailFrom().address().isEmpty();
          attempt = bounce ? 0 : attempts.incrementAndGet();
          answers = bounce ? new Answers(OK, OK, OK) : script.apply(attempt);
        }
        if (attempt > 0 && throwsOn.test(attempt)) {
          throw new IllegalStateException("scripted bug in attempt " + attempt);
        }
        if (delta.mailFrom() && answers.mail() != null) {
          tx.mailResponse(answers.mail());
        }
        for (int i : delta.rcpts()) {
          if (answers.rcpt() != null) {
            tx.rcptResponse(i, answers.rcpt());
          }
        }
        if (delta.body()) {
          byte[] bytes;
          try {
            bytes = tx.body() instanceof Body.Raw r ? r.blob().readAll() : new byte[0];
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
          seen.add(new Seen(tx.mailFrom().address(),
              tx.rcptTo().stream().map(m -> m.address()).toList(), bytes, tx.restEndpoint(),
              tx.resolution()));
          if (answers.data() != null) {
            tx.dataResponse(answers.data());
          }
        }
      }
    };
  }
}
