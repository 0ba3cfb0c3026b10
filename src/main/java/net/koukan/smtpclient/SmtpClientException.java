package net.koukan.smtpclient;

import java.io.IOException;
import net.koukan.tx.Response;

/**
 * A session that cannot go on: the peer is unreachable, silent past a deadline, gone, speaking
 * something that is not SMTP, or TLS failed; or the body could not be read. Each kind maps to a
 * temporary failure ({@code 451} + enhanced status of the kind), see {@link #response}.
 */
public final class SmtpClientException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What went wrong, with its RFC 3463 enhanced status code. */
  public enum Kind {
    /** TCP connect failed (refused, unreachable, timed out, unknown host). */
    CONNECT("4.4.1"),
    /** No reply (or no write progress) before the deadline. */
    TIMEOUT("4.4.2"),
    /** The connection broke or the peer closed it. */
    LOST("4.4.2"),
    /** The peer's bytes are not a valid SMTP reply, or the reply makes no sense at that point. */
    PROTOCOL("4.5.0"),
    /** The TLS handshake or certificate verification failed. */
    TLS("4.7.5"),
    /** {@code tls: verify} and the peer does not offer (or refuses) STARTTLS. */
    TLS_UNAVAILABLE("4.7.4"),
    /** Our side: the message body could not be read, or is not the length it claims. */
    BODY("4.3.0"),
    /** The calling thread was interrupted (the attempt is being cancelled). */
    INTERRUPTED("4.3.0");

    private final String status;

    Kind(String status) {
      this.status = status;
    }

    public String status() {
      return status;
    }
  }

  private final Kind kind;

  public SmtpClientException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public SmtpClientException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** {@code 451 <status> <prefix><message>}, sanitised. */
  public Response response(String prefix) {
    return new Response(451, Reply.sanitize(kind.status() + " " + prefix + getMessage()));
  }
}
