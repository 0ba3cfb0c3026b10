/**
 * Message policy (spec §5.3–5.4): the {@code policy_action} filter with its match expressions,
 * simple matchers and signal matchers ({@link net.koukan.policy.TransactionMatcher}, plugins
 * through {@code modules.transaction_matcher}), and the filters that produce or use message
 * facts: {@code message_validation} (RFC 5322/MIME validity levels, parsed with mime4j) and
 * {@code received_header}. The JSON shapes of the signals are in {@link net.koukan.policy.Signals}.
 * May import net.koukan.tx, config, filter and routing (the {@code address_list} matcher reuses
 * {@link net.koukan.routing.AddressListPolicy}).
 */
package net.koukan.policy;
