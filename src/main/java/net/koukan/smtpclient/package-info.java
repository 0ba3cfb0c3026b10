/**
 * Our SMTP/LMTP client (RFC 5321, 2920 PIPELINING, 3030 CHUNKING, 3207 STARTTLS, 6531 SMTPUTF8,
 * 6152 8BITMIME, 1870 SIZE, 2033 LMTP) and the {@code smtp_output} filter built on it (spec §6.3).
 *
 * <p>{@link net.koukan.smtpclient.SmtpClient} is one blocking session on the calling (virtual)
 * thread: every read has a deadline, every write a watchdog, replies are parsed strictly with hard
 * limits. {@link net.koukan.smtpclient.SmtpOutputFactory} makes the terminal {@code smtp_output}
 * filter: host failover at MAIL, ESMTP parameter checks against the peer's capabilities, per-recipient
 * responses passed through (sanitised), the body streamed with BDAT or dot-stuffed DATA.
 *
 * <p>May import net.koukan.filter, net.koukan.config and net.koukan.tx. Independent of the SMTP
 * server ({@code net.koukan.smtp}).
 */
package net.koukan.smtpclient;
