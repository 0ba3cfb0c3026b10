package net.koukan.rest;

/**
 * What the configuration says about a sender/tag: whether its output chain is incremental
 * (ends in the exploder) and whether its transactions get retries and notifications.
 */
public record SenderPolicy(boolean incremental, boolean retry, boolean notification) {

  /** Resolves a sender name and optional tag; empty when the pair is not configured. */
  @FunctionalInterface
  public interface Resolver {
    java.util.Optional<SenderPolicy> resolve(String sender, String tag);
  }
}
