package net.koukan.smtp;

import java.time.Duration;
import java.util.Objects;

/**
 * The timeouts of one listener (RFC 5321 §4.5.3.2 gives the defaults). Each expiry that leaves
 * the connection out of step ends it with {@code 421 4.4.2} and a close.
 *
 * @param idle waiting for the next command line, as a deadline for the whole line (§4.5.3.2.7
 *     server timeout: 5 min)
 * @param dataBlock waiting for each read of DATA or BDAT content (§4.5.3.2.6 data block: 3 min)
 * @param command the most the application may take to answer MAIL or RCPT, and the most a TLS
 *     handshake or a blocked write may take (§4.5.3.2.2-3: a client waits 5 min for these)
 * @param dataTermination the most the application may take to answer the end of data
 *     (§4.5.3.2.6 DATA termination: a client waits 10 min)
 * @param proxyHeader reading the PROXY protocol header, when enabled (then the connection is
 *     closed without a word)
 * @param authFailureDelay pause before {@code 535 5.7.8} after wrong credentials
 */
public record SmtpTimeouts(Duration idle, Duration dataBlock, Duration command,
    Duration dataTermination, Duration proxyHeader, Duration authFailureDelay) {

  public SmtpTimeouts {
    positive(idle, "idle");
    positive(dataBlock, "dataBlock");
    positive(command, "command");
    positive(dataTermination, "dataTermination");
    positive(proxyHeader, "proxyHeader");
    Objects.requireNonNull(authFailureDelay, "authFailureDelay");
    if (authFailureDelay.isNegative()) {
      throw new IllegalArgumentException("authFailureDelay must be >= 0");
    }
  }

  /** 5 min, 3 min, 5 min, 10 min, 10 s, 1 s. */
  public static SmtpTimeouts defaults() {
    return new SmtpTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(3), Duration.ofMinutes(5),
        Duration.ofMinutes(10), Duration.ofSeconds(10), Duration.ofSeconds(1));
  }

  public SmtpTimeouts withIdle(Duration v) {
    return new SmtpTimeouts(v, dataBlock, command, dataTermination, proxyHeader, authFailureDelay);
  }

  public SmtpTimeouts withDataBlock(Duration v) {
    return new SmtpTimeouts(idle, v, command, dataTermination, proxyHeader, authFailureDelay);
  }

  public SmtpTimeouts withCommand(Duration v) {
    return new SmtpTimeouts(idle, dataBlock, v, dataTermination, proxyHeader, authFailureDelay);
  }

  public SmtpTimeouts withDataTermination(Duration v) {
    return new SmtpTimeouts(idle, dataBlock, command, v, proxyHeader, authFailureDelay);
  }

  public SmtpTimeouts withProxyHeader(Duration v) {
    return new SmtpTimeouts(idle, dataBlock, command, dataTermination, v, authFailureDelay);
  }

  public SmtpTimeouts withAuthFailureDelay(Duration v) {
    return new SmtpTimeouts(idle, dataBlock, command, dataTermination, proxyHeader, v);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0");
    }
  }
}
