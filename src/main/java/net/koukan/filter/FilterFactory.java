package net.koukan.filter;

import java.util.function.Supplier;
import net.koukan.config.FilterStanza;

/**
 * Makes one kind of filter, named as in YAML ({@code filter: <name>}). {@link #prepare} runs once
 * at start-up: it binds and checks the stanza's options (reporting file:line through
 * {@link FilterStanza#bind}) and returns a supplier called once per attempt. Plugins implement
 * this interface and list their factories in {@code META-INF/services/net.koukan.filter.FilterFactory}.
 */
public interface FilterFactory {
  String name();

  Supplier<Filter> prepare(FilterStanza stanza);
}
