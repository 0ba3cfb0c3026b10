/**
 * The {@code rest_output} filter (spec §5.3): the router's HTTP client to the next hop (an SMTP
 * gateway, a REST receiver, another router). It creates the upstream transaction, long-polls it
 * for responses, appends recipients, uploads the body in bounded chunks and cancels what it
 * abandons. Every failure becomes an SMTP-style response, never an exception out of the chain.
 * May import net.koukan.filter, net.koukan.config and net.koukan.tx.
 */
package net.koukan.restout;
