package net.koukan.config;

import java.util.Map;

/** Line and column of every key and value of one parsed YAML document. Immutable. */
final class SourceMap {
  record Location(int line, int column) {}

  private final String file;
  private final Map<KeyPath, Location> keys;
  private final Map<KeyPath, Location> values;
  private final Location fallback;

  SourceMap(String file, Map<KeyPath, Location> keys, Map<KeyPath, Location> values, Location fallback) {
    this.file = file;
    this.keys = Map.copyOf(keys);
    this.values = Map.copyOf(values);
    this.fallback = fallback;
  }

  /** A map that knows no positions: everything is reported at {@code fallback}. */
  static SourceMap empty(String file, Location fallback) {
    return new SourceMap(file, Map.of(), Map.of(), fallback);
  }

  String file() {
    return file;
  }

  /**
   * Where to point for {@code path}: its key if it is a mapping entry, else its value (list elements); for a
   * path that is not in the document (a missing key), the nearest enclosing node that is.
   */
  Location locate(KeyPath path) {
    for (KeyPath p = path; ; p = p.parent()) {
      Location l = keys.get(p);
      if (l == null) {
        l = values.get(p);
      }
      if (l != null) {
        return l;
      }
      if (p.isRoot()) {
        return fallback;
      }
    }
  }

  ConfigException error(KeyPath path, String problem) {
    return error(path, path, problem, null);
  }

  /** An error about {@code reported}, placed at the location of {@code at}. */
  ConfigException error(KeyPath at, KeyPath reported, String problem, Throwable cause) {
    Location l = locate(at);
    return new ConfigException(file, l.line(), l.column(), reported.toString(), problem, cause);
  }
}
