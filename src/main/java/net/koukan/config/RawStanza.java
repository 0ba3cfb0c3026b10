package net.koukan.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A mapping kept raw with its position, for a component that binds it later (e.g. a gateway
 * {@code smtp_output.hosts.<tag>} entry, bound by the {@code smtp_output} filter).
 */
public record RawStanza(ObjectNode options, Origin origin) {

  /** As a filter stanza named {@code filter}, so the filter's binder reports this entry's lines. */
  public FilterStanza asFilter(String filter) {
    return new FilterStanza(filter, options, origin.file(), origin.line(), origin);
  }
}
