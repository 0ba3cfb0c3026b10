/**
 * Delivery status notifications (bounces, spec §4.7): builds RFC 3464 {@code multipart/report}
 * messages from plain values ({@link net.koukan.dsn.DsnRequest}, {@link net.koukan.dsn.DsnRecipient}),
 * derives enhanced status codes from SMTP replies, and extracts the header block of a raw message.
 *
 * <p>Pure functions over records: no I/O, no clock (the caller passes {@code now}), no randomness
 * (the caller passes the Message-ID local part). Imports only the JDK; nothing else from net.koukan.
 */
package net.koukan.dsn;
