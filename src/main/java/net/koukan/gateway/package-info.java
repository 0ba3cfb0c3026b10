/**
 * The gateway (spec §1.5, §6): SMTP listeners whose sessions hand each transaction to the router
 * over REST ({@link RestBridgeSession}: a chain of one {@code rest_output}), and a REST listener
 * where the router hands mail to the gateway for SMTP delivery ({@code smtp_output}, selected by
 * the sender tag). Keeps nothing durable: the router holds the queue.
 * May import every package except router and cli.
 */
package net.koukan.gateway;
