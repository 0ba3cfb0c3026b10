package net.koukan.config;

/**
 * A configuration file could not be loaded. The message always starts with
 * {@code <file>:<line>:<column>: <dotted key path>: <problem>}, e.g.
 * {@code config/router.yaml:12:5: rest_listener.sesion_uri: unknown key (expected one of: ...)}.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;
  private final int column;
  private final String keyPath;
  private final String problem;

  public ConfigException(String file, int line, int column, String keyPath, String problem) {
    this(file, line, column, keyPath, problem, null);
  }

  public ConfigException(String file, int line, int column, String keyPath, String problem, Throwable cause) {
    super(file + ":" + line + ":" + column + ": " + keyPath + ": " + problem, cause);
    this.file = file;
    this.line = line;
    this.column = column;
    this.keyPath = keyPath;
    this.problem = problem;
  }

  /** The file name as given to {@link RouterConfig#load} or {@link RouterConfig#parse}. */
  public String file() {
    return file;
  }

  /** 1-based line of the offending key (or value, for list elements). */
  public int line() {
    return line;
  }

  /** 1-based column. */
  public int column() {
    return column;
  }

  /** Dotted key path such as {@code sender[1].tag[0].output_chain}; {@code (root)} for the document itself. */
  public String keyPath() {
    return keyPath;
  }

  /** The problem without the location prefix. */
  public String problem() {
    return problem;
  }
}
