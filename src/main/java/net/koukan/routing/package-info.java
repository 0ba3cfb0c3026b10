/**
 * Recipient routing (spec §5.5): the {@code router} filter and its policies ({@code address_list},
 * {@code dest_domain}, plugins). A policy maps a recipient to a destination (a named
 * {@code rest_endpoint} plus hosts and options), a rejection, or no match.
 * May import net.koukan.tx, config and filter.
 */
package net.koukan.routing;
