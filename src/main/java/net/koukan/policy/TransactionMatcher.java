package net.koukan.policy;

import java.util.OptionalInt;
import net.koukan.config.FilterStanza;
import net.koukan.filter.FilterTx;

/**
 * One {@code matcher:} of a {@code policy_action} match expression. Built once at start-up from
 * its YAML arguments by a {@link Factory}; {@link #match} runs on the attempt's thread for every
 * update the rule sees, so it must not block and must not change the transaction.
 */
public interface TransactionMatcher {

  /**
   * @param tx the transaction as this filter sees it (envelope, responses so far, signals in
   *     {@link FilterTx#filterOutput()})
   * @param rcpt the recipient index for {@code mode: PER_RCPT} rules, empty for rules about the
   *     whole transaction
   */
  MatchResult match(FilterTx tx, OptionalInt rcpt);

  /** True if this matcher is about one recipient, so only {@code mode: PER_RCPT} rules may use it. */
  default boolean perRcptOnly() {
    return false;
  }

  /**
   * Makes matchers named {@link #name()} ({@code matcher: <name>}). Plugins implement this and
   * list their class in {@code META-INF/services/net.koukan.policy.TransactionMatcher$Factory};
   * {@code modules.transaction_matcher: {<name>: path/to/plugin.jar}} loads them
   * ({@link TransactionMatchers#loadPlugins}).
   */
  interface Factory {
    String name();

    /**
     * Binds and checks the matcher's arguments: every key of its mapping except {@code matcher}.
     * Use {@link FilterStanza#bind} / {@link FilterStanza#error} so that mistakes fail at start-up
     * with file:line ({@code args.error("matcher", ...)} points at the {@code matcher:} line).
     */
    TransactionMatcher create(FilterStanza args);
  }
}
