package net.koukan.config;

import java.util.Objects;

/**
 * Where a raw stanza came from: the file, its position, and the positions of everything inside it, so that a
 * later binder can report errors at the exact line of a nested key.
 */
public final class Origin {
  private final SourceMap map;
  private final KeyPath path;
  private final SourceMap.Location location;

  Origin(SourceMap map, KeyPath path) {
    this.map = Objects.requireNonNull(map);
    this.path = Objects.requireNonNull(path);
    this.location = map.locate(path);
  }

  /** An origin that knows only a file and line (for stanzas built in code). */
  public static Origin of(String file, int line) {
    return new Origin(SourceMap.empty(file, new SourceMap.Location(line, 1)), KeyPath.ROOT);
  }

  public String file() {
    return map.file();
  }

  public int line() {
    return location.line();
  }

  public int column() {
    return location.column();
  }

  /** The origin of the value under {@code key} inside this one. */
  public Origin child(String key) {
    return new Origin(map, path.key(key));
  }

  /** The dotted key path, for messages. */
  public String keyPath() {
    return path.toString();
  }

  SourceMap map() {
    return map;
  }

  KeyPath path() {
    return path;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Origin other
        && file().equals(other.file())
        && path.equals(other.path)
        && location.equals(other.location);
  }

  @Override
  public int hashCode() {
    return Objects.hash(file(), path, location);
  }

  /** {@code file:line:column}. */
  @Override
  public String toString() {
    return file() + ":" + line() + ":" + column();
  }
}
