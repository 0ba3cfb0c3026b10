package net.koukan.config;

import java.util.List;
import java.util.Objects;

/**
 * One {@code endpoint}: an output chain.
 *
 * @param msa documented on the chain but effectively read from the {@code exploder} stanza; null when absent
 * @param outputHandler never null (defaults when absent)
 * @param chain filter stanzas, in order; never empty
 */
public record EndpointConfig(
    @Required String name,
    Boolean msa,
    OutputHandlerConfig outputHandler,
    @Required List<FilterStanza> chain) {

  /** Name of the filter that makes a chain incremental (multi-recipient fan-out). */
  public static final String EXPLODER = "exploder";

  public EndpointConfig {
    Objects.requireNonNull(name, "name");
    outputHandler = outputHandler == null ? OutputHandlerConfig.defaults() : outputHandler;
    chain = List.copyOf(chain);
  }

  /** True when the chain ends with the exploder: clients use the incremental (POST, PATCH per rcpt) dialect. */
  public boolean incremental() {
    return !chain.isEmpty() && EXPLODER.equals(chain.getLast().filter());
  }
}
