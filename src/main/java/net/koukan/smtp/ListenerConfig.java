package net.koukan.smtp;

import java.nio.file.Path;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * One SMTP listener. Build with {@link #builder(SmtpSession.Factory)}; the defaults suit an MX.
 *
 * @param host address to bind (default 127.0.0.1)
 * @param port port to bind; 0 picks a free one ({@link SmtpServer#port()} tells which)
 * @param hostname our name in the greeting ({@code 220 <hostname> ESMTP koukan}) and EHLO reply
 * @param smtps implicit TLS (RFC 8314): TLS from the first byte; needs {@code tls}
 * @param tls server TLS context ({@link Tls#serverContext}); null = no STARTTLS, no SMTPS.
 *     Whatever the context allows, only TLS 1.2 and 1.3 are enabled
 * @param auth AUTH PLAIN/LOGIN secrets; null = no AUTH. Offered and accepted only over TLS, so it
 *     needs {@code tls}
 * @param proxyProtocol expect a HAProxy PROXY header (v1 or v2) before anything else; off by
 *     default, when the first line is SMTP
 * @param limits sizes and counts ({@link SmtpLimits#defaults()})
 * @param timeouts ({@link SmtpTimeouts#defaults()})
 * @param bareLf bare LF/CR policy ({@link BareLfPolicy#REJECT} by default)
 * @param spoolDir where messages larger than {@code limits.spoolMemory()} are spooled; null = the
 *     system temp directory
 * @param sessionFactory the application
 * @param chunking offer CHUNKING and accept BDAT (on by default)
 */
public record ListenerConfig(String host, int port, String hostname, boolean smtps, SSLContext tls,
    AuthSecrets auth, boolean proxyProtocol, SmtpLimits limits, SmtpTimeouts timeouts,
    BareLfPolicy bareLf, Path spoolDir, SmtpSession.Factory sessionFactory, boolean chunking) {

  public ListenerConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(bareLf, "bareLf");
    Objects.requireNonNull(sessionFactory, "sessionFactory");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (hostname.isEmpty() || !hostname.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("hostname must be printable ASCII without spaces: " + hostname);
    }
    if (smtps && tls == null) {
      throw new IllegalArgumentException("smtps needs a TLS context");
    }
    if (auth != null && tls == null) {
      throw new IllegalArgumentException("auth needs a TLS context (AUTH is only offered over TLS)");
    }
  }

  public static Builder builder(SmtpSession.Factory sessionFactory) {
    return new Builder(sessionFactory);
  }

  /** Fluent construction with defaults; {@link #build()} validates. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port;
    private String hostname = "localhost";
    private boolean smtps;
    private SSLContext tls;
    private AuthSecrets auth;
    private boolean proxyProtocol;
    private SmtpLimits limits = SmtpLimits.defaults();
    private SmtpTimeouts timeouts = SmtpTimeouts.defaults();
    private BareLfPolicy bareLf = BareLfPolicy.REJECT;
    private Path spoolDir;
    private boolean chunking = true;
    private final SmtpSession.Factory sessionFactory;

    private Builder(SmtpSession.Factory sessionFactory) {
      this.sessionFactory = sessionFactory;
    }

    public Builder host(String v) {
      host = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder hostname(String v) {
      hostname = v;
      return this;
    }

    public Builder smtps(boolean v) {
      smtps = v;
      return this;
    }

    public Builder tls(SSLContext v) {
      tls = v;
      return this;
    }

    public Builder auth(AuthSecrets v) {
      auth = v;
      return this;
    }

    public Builder proxyProtocol(boolean v) {
      proxyProtocol = v;
      return this;
    }

    public Builder limits(SmtpLimits v) {
      limits = v;
      return this;
    }

    public Builder timeouts(SmtpTimeouts v) {
      timeouts = v;
      return this;
    }

    public Builder bareLf(BareLfPolicy v) {
      bareLf = v;
      return this;
    }

    public Builder chunking(boolean v) {
      chunking = v;
      return this;
    }

    public Builder spoolDir(Path v) {
      spoolDir = v;
      return this;
    }

    public ListenerConfig build() {
      return new ListenerConfig(host, port, hostname, smtps, tls, auth, proxyProtocol, limits,
          timeouts, bareLf, spoolDir, sessionFactory, chunking);
    }
  }
}
