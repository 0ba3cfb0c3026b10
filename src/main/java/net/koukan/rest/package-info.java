/**
 * The REST transaction API of spec §2 on Helidon's virtual-thread web server: create, read and
 * long-poll, update and heartbeat, cancel, body and blob uploads; JSON error bodies with a
 * stable {@code code}. May import net.koukan.tx and net.koukan.storage.
 */
package net.koukan.rest;
