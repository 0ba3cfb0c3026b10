/**
 * Message formats (spec §3): rendering message-builder specs into RFC 5322 / MIME messages
 * ({@link net.koukan.mime.MessageBuilder}, filter {@code message_builder}) and parsing received
 * messages into the parsed-message JSON ({@link net.koukan.mime.MessageParser}, filter
 * {@code message_parser}). The builder and parser are pure (no clock, randomness or I/O of
 * their own: they are given them); the filters adapt them to the chain.
 * Uses Apache mime4j for transfer codecs, RFC 2047 decoding and address parsing; the MIME
 * structure scan is our own (it keeps byte offsets, so blobs are read from the message on
 * demand, and it loses no line of a part whose header has no blank line).
 * May import net.koukan.filter, net.koukan.config and net.koukan.tx.
 */
package net.koukan.mime;
