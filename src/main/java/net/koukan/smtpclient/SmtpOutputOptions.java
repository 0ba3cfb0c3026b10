package net.koukan.smtpclient;

import java.time.Duration;
import java.util.List;
import net.koukan.config.Default;
import net.koukan.config.Min;
import net.koukan.config.Required;

/**
 * The options of an {@code smtp_output} stanza (durations in seconds).
 *
 * @param ehloHost the name we give in EHLO/LHLO/HELO
 * @param port the port of a host that names none (a resolution entry with port 0, a
 *     {@code hosts} entry without {@code port})
 * @param hosts hosts tried in order instead of the transaction's resolution (from the routing
 *     and {@code dns_resolution} filters)
 * @param protocol {@code smtp} or {@code lmtp}
 * @param enableBdat use CHUNKING/BDAT when the peer offers it
 * @param enablePipelining use PIPELINING when the peer offers it
 * @param chunkSize bytes per BDAT chunk; also the most of a body held in memory at once
 * @param tls {@code none} (never STARTTLS), {@code opportunistic} (STARTTLS when offered, any
 *     certificate), {@code verify} (TLS required, certificate and host name verified)
 * @param tlsCaFile with {@code verify}: a PEM file of the CA certificates to trust instead of
 *     the JDK's (relative to the config file)
 * @param connectTimeout TCP connect
 * @param greetingTimeout the greeting (RFC 5321: 5 min)
 * @param commandTimeout EHLO, STARTTLS, MAIL, RCPT (RFC 5321: 5 min each)
 * @param dataInitTimeout the reply to DATA (RFC 5321: 2 min)
 * @param dataBlockTimeout each write of body bytes, each non-final BDAT reply (RFC 5321: 3 min)
 * @param dataTimeout the reply after the body (RFC 5321: 10 min)
 * @param connectionReuse keep sessions after a transaction for the next one to the same host
 * @param connectionCacheTime how long an idle session is kept
 * @param connectionReuseTimeLimit how long after it was opened a session may start transactions
 */
public record SmtpOutputOptions(
    @Required String ehloHost,
    @Default("25") @Min(1) int port,
    List<Host> hosts,
    @Default("smtp") String protocol,
    @Default("true") boolean enableBdat,
    @Default("true") boolean enablePipelining,
    @Default("1048576") @Min(1) int chunkSize,
    @Default("opportunistic") String tls,
    String tlsCaFile,
    @Default("30") Duration connectTimeout,
    @Default("300") Duration greetingTimeout,
    @Default("300") Duration commandTimeout,
    @Default("120") Duration dataInitTimeout,
    @Default("180") Duration dataBlockTimeout,
    @Default("600") Duration dataTimeout,
    @Default("true") boolean connectionReuse,
    @Default("2") Duration connectionCacheTime,
    @Default("300") Duration connectionReuseTimeLimit) {

  /** One entry of {@code hosts}: a name or IP literal, and optionally its port. */
  public record Host(@Required String host, Integer port) {}
}
