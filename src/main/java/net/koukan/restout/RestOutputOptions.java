package net.koukan.restout;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import net.koukan.config.Default;
import net.koukan.config.Min;

/**
 * The options of a {@code rest_output} stanza.
 *
 * @param staticEndpoint URL of the next hop's {@code .../senders/<name>/transactions}; null: use the
 *     endpoint the routing filters put on the transaction
 * @param rcptTimeout how long one update waits for MAIL/RCPT responses (per host tried for MAIL)
 * @param dataTimeout how long the body upload plus the wait for the DATA response may take
 * @param verify TLS server verification: {@code true} (default, the JDK's trust store),
 *     {@code false} (trust anything: tests only), or the path of a PEM file of CA certificates
 *     (relative to the config file)
 * @param chunkSize largest body piece sent in one PUT; bigger bodies go in Content-Range chunks
 * @param heartbeatInterval while waiting, an empty PATCH at most this often keeps the upstream
 *     transaction alive
 * @param connectTimeout TCP/TLS connect timeout for each request
 * @param refreshInterval a body still arriving (the gateway streaming SMTP DATA) is sent on at
 *     least this often, as far as it has come, besides every {@code chunk_size} bytes
 */
public record RestOutputOptions(
    String staticEndpoint,
    @Default("30") Duration rcptTimeout,
    @Default("300") Duration dataTimeout,
    JsonNode verify,
    @Default("1048576") @Min(1) int chunkSize,
    @Default("10") Duration heartbeatInterval,
    @Default("10") Duration connectTimeout,
    @Default("30") Duration refreshInterval) {}
