package net.koukan.smtpclient;

import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * How an {@link SmtpClient} behaves.
 *
 * @param ehloHost the name we give in EHLO/LHLO/HELO
 * @param protocol SMTP (EHLO, HELO fallback) or LMTP (LHLO; one DATA reply per accepted recipient)
 * @param tls STARTTLS policy
 * @param sslContext for STARTTLS; null picks the one {@code tls} implies (none; trust anything;
 *     the JDK's default trust store)
 * @param pipelining use PIPELINING (RFC 2920) when the peer offers it
 * @param chunking use CHUNKING/BDAT (RFC 3030) when the peer offers it
 * @param chunkSize bytes per BDAT chunk (also the most of the body held in memory at once)
 * @param timeouts deadlines of every read and write
 */
public record SmtpClientConfig(
    String ehloHost,
    Protocol protocol,
    TlsMode tls,
    SSLContext sslContext,
    boolean pipelining,
    boolean chunking,
    int chunkSize,
    Timeouts timeouts) {

  public enum Protocol { SMTP, LMTP }

  /**
   * {@code NONE}: never STARTTLS. {@code OPPORTUNISTIC}: STARTTLS when offered, any certificate
   * accepted (the reference's behaviour); a refused STARTTLS goes on in plain text, a failed
   * handshake fails the session. {@code VERIFY}: TLS is required: no STARTTLS offered, a refused
   * STARTTLS, or a certificate that does not verify (trust store and host name) fails the session.
   */
  public enum TlsMode { NONE, OPPORTUNISTIC, VERIFY }

  /**
   * Deadlines (RFC 5321 §4.5.3.2 defaults in {@link #RFC5321}).
   *
   * @param connect TCP connect
   * @param greeting the 220 greeting
   * @param command EHLO/HELO/LHLO, STARTTLS (and the TLS handshake), MAIL, RCPT, QUIT; every
   *     command write
   * @param dataInit the reply to DATA (354)
   * @param dataBlock each write of body bytes; each non-final BDAT reply
   * @param dataEnd the reply after the final dot or {@code BDAT ... LAST}
   */
  public record Timeouts(Duration connect, Duration greeting, Duration command, Duration dataInit,
      Duration dataBlock, Duration dataEnd) {
    public static final Timeouts RFC5321 = new Timeouts(Duration.ofSeconds(30),
        Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(2), Duration.ofMinutes(3),
        Duration.ofMinutes(10));

    /** Longest QUIT may take: the command timeout, at most 5 s (closing never blocks long). */
    public static final Duration MAX_QUIT = Duration.ofSeconds(5);

    public Timeouts {
      for (Duration d : new Duration[] {connect, greeting, command, dataInit, dataBlock, dataEnd}) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("timeouts must be positive");
        }
      }
    }

    public Duration quit() {
      return command.compareTo(MAX_QUIT) < 0 ? command : MAX_QUIT;
    }
  }

  public SmtpClientConfig {
    Objects.requireNonNull(ehloHost, "ehloHost");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(timeouts, "timeouts");
    if (ehloHost.isBlank() || !ehloHost.chars().allMatch(c -> c > 0x20 && c != 0x7f)) {
      throw new IllegalArgumentException("ehloHost must be a name without spaces or controls");
    }
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize must be positive");
    }
    if (sslContext == null && tls != TlsMode.NONE) {
      sslContext = Tls.context(tls, null);
    }
  }

  /** SMTP with opportunistic TLS, pipelining and chunking, 1 MiB chunks, RFC 5321 timeouts. */
  public static SmtpClientConfig defaults(String ehloHost) {
    return new SmtpClientConfig(ehloHost, Protocol.SMTP, TlsMode.OPPORTUNISTIC, null, true, true,
        1 << 20, Timeouts.RFC5321);
  }
}
