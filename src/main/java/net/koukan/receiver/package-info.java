/**
 * A REST receiver (spec §2.12): the application end of a router's {@code rest_output}. It accepts
 * transactions over the same REST dialect as the router (create, long-poll GET, PATCH heartbeats,
 * recipients and {@code filter_output}, whole or ranged body PUT, cancel), accepts every
 * recipient, and writes each complete message into a directory ({@code <id>.msg} fsync'd and
 * renamed into place, {@code <id>.tx.json} with the envelope) before answering
 * {@code data_response} 250. Idle transactions are forgotten after a TTL.
 * May import net.koukan.tx only.
 */
package net.koukan.receiver;
