/**
 * Moving stored mail: the output handler (one attempt of one transaction through its chain), the
 * dequeue loop (retries, recovery), the retry policy, bounces (DSNs), garbage collection, and the
 * terminal outputs that live in the router (Maildir). May import net.koukan.tx, storage, config,
 * filter and dsn.
 */
package net.koukan.delivery;
