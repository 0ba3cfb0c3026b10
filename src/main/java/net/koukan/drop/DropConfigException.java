package net.koukan.drop;

import java.util.List;

/**
 * The drop configuration is wrong. Each problem names where it comes from: the environment
 * variable ({@code SWIFTDROP_PROD_CONTAINER: must be set}) or the file and key
 * ({@code drop.yaml: sections.PROD.container: must be set}).
 */
public final class DropConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  public DropConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  public DropConfigException(String problem) {
    this(List.of(problem));
  }

  public List<String> problems() {
    return problems;
  }
}
