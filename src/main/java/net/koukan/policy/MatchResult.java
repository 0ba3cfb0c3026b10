package net.koukan.policy;

/** What a matcher says about a transaction (or one recipient of it). */
public enum MatchResult {
  MATCH,
  NO_MATCH,
  /**
   * The fact the matcher needs is not known yet (e.g. a body signal at MAIL time): rules with
   * this tag do nothing in the current update and are evaluated again in the next one.
   */
  PRECONDITION_UNMET;

  public static MatchResult of(boolean match) {
    return match ? MATCH : NO_MATCH;
  }
}
