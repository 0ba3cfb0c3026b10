package net.koukan.policy;

import java.io.IOException;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: message_validation} (spec §5.3): classifies the finished message
 * (NONE/BASIC/MEDIUM/HIGH, see {@link MessageValidator}) and records the signal
 * {@code message_validation: {validity, error, received_count, header_from}} for policies
 * ({@code matcher: message_validation} with {@code validity_threshold} /
 * {@code max_received_headers}; {@code address_list} with {@code which_addr: header_from}).
 * It never rejects by itself; a message it cannot read gets a temporary failure. Message-builder
 * bodies are not checked (we render those ourselves).
 */
public final class MessageValidationFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(MessageValidationFilter.class);

  /** YAML options: none. */
  public record Options() {}

  /** {@code filter: message_validation}. */
  public static final class Factory implements FilterFactory {
    @Override
    public String name() {
      return "message_validation";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      stanza.bind(Options.class);
      return MessageValidationFilter::new;
    }
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.body() && !tx.cancelled() && tx.body() instanceof Body.Raw raw) {
      try {
        MessageValidator.Result r =
            MessageValidator.validate(raw.blob(), ReceivedHeaderFilter.smtputf8(tx.mailFrom()));
        tx.filterOutput().set(Signals.MESSAGE_VALIDATION, r.toJson());
      } catch (IOException e) {
        log.warn("message_validation: cannot read the message of tx {}", tx.restId(), e);
        tx.dataResponse(new Response(451, "4.3.0 message_validation: cannot read the message"));
      }
    }
    next.update(tx, delta);
  }
}
