/**
 * Our SMTP server (RFC 5321/5322, strict): listeners on virtual threads, the command parser and
 * state machine, PIPELINING, CHUNKING/BDAT, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES,
 * STARTTLS and implicit TLS, AUTH PLAIN/LOGIN after TLS, PROXY protocol, smuggling-safe DATA,
 * limits on everything. It knows nothing of transactions or REST: each connection talks to a
 * {@link net.koukan.smtp.SmtpSession} the application supplies. May import net.koukan.tx only.
 */
package net.koukan.smtp;
