/**
 * The filter chain framework (spec §5.1–5.2): the in-process transaction a chain works on
 * ({@link FilterTx}), what is new in an update ({@link Delta}), the {@link Filter} interface, chains
 * built from endpoint stanzas, and the registry of filter factories (built-in and plugins loaded with
 * {@link java.util.ServiceLoader} from the jars named in {@code modules}).
 * May import net.koukan.tx and net.koukan.config.
 */
package net.koukan.filter;
