/**
 * The transaction model and its JSON wire format (spec §2.2): mailboxes, ESMTP parameters,
 * responses, host/port pairs, request deltas with per-operation validity rules, and the
 * stored envelope that deltas are applied to. Pure values; imports nothing else from net.koukan.
 */
package net.koukan.tx;
