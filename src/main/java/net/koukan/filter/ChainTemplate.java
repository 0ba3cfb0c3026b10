package net.koukan.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.EndpointConfig;

/** An endpoint's chain, checked at start-up; {@link #newChain} builds fresh filters per attempt. */
public final class ChainTemplate {
  private final EndpointConfig endpoint;
  private final List<Supplier<Filter>> suppliers;

  ChainTemplate(EndpointConfig endpoint, List<Supplier<Filter>> suppliers) {
    this.endpoint = endpoint;
    this.suppliers = List.copyOf(suppliers);
  }

  public EndpointConfig endpoint() {
    return endpoint;
  }

  public Chain newChain() {
    List<Filter> filters = new ArrayList<>(suppliers.size());
    for (Supplier<Filter> s : suppliers) {
      Filter f = s.get();
      if (f != null) { // a factory may disable its filter (e.g. dkim_sign without a key)
        filters.add(f);
      }
    }
    return new Chain(filters);
  }
}
