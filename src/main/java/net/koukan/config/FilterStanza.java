package net.koukan.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One entry of an output chain, kept raw: the {@code filter} name and every other key as {@code options}. The
 * filter that owns the stanza binds the options to its own record with {@link #bind}; errors then point at the
 * exact line of the offending key in the original file.
 *
 * @param options every key of the stanza except {@code filter}; treat as read-only
 * @param file file the stanza was read from
 * @param line 1-based line where the stanza starts
 * @param origin positions of the stanza and everything inside it
 */
public record FilterStanza(String filter, ObjectNode options, String file, int line, Origin origin) {
  public FilterStanza {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(file, "file");
    origin = origin == null ? Origin.of(file, line) : origin;
  }

  /** A stanza built in code: errors from {@link #bind} are all reported at {@code file:line}. */
  public FilterStanza(String filter, ObjectNode options, String file, int line) {
    this(filter, options, file, line, null);
  }

  /**
   * Binds the options to {@code recordType} with the rules of {@link RouterConfig} (unknown keys, wrong types,
   * nulls and missing {@link Required} keys fail; {@link Default}s apply).
   *
   * @throws ConfigException {@code <file>:<line>:<column>: endpoint[i].chain[j].<key>: <problem>}
   */
  public <T> T bind(Class<T> recordType) {
    return ConfigMapper.bind(options, origin.map(), origin.path(), recordType);
  }

  /**
   * A nested mapping of this stanza (e.g. a router's {@code policy}) as a stanza of its own, so
   * that its binder reports errors at the nested lines. {@code name} labels it (the policy name).
   */
  public FilterStanza sub(String key, String name) {
    var node = options.get(key);
    if (node == null || !node.isObject()) {
      throw error(key, "must be a mapping");
    }
    Origin o = origin.child(key);
    return new FilterStanza(name, (ObjectNode) node, file, o.line(), o);
  }

  /** A problem with {@code key} of this stanza, located at that key when known. */
  public ConfigException error(String key, String problem) {
    Origin o = key == null ? origin : origin.child(key);
    String path = o.keyPath();
    return new ConfigException(file, o.line(), o.column(), path.isEmpty() ? filter : path, problem);
  }
}
