package net.koukan.restout;

import net.koukan.tx.Response;

/** A failed exchange with the upstream, already phrased as the response the client gets. */
final class UpstreamException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What went wrong, so that callers can tell a poll timeout from a broken upstream. */
  enum Kind { TIMEOUT, TRANSPORT, PROTOCOL }

  private final Kind kind;
  private final transient Response response;

  UpstreamException(Kind kind, Response response) {
    super(response.code() + " " + response.message());
    this.kind = kind;
    this.response = response;
  }

  Kind kind() {
    return kind;
  }

  Response response() {
    return response;
  }

  static UpstreamException timeout() {
    return new UpstreamException(Kind.TIMEOUT, new Response(450, "4.4.7 rest_output: upstream timeout"));
  }

  static UpstreamException transport(String text) {
    return new UpstreamException(Kind.TRANSPORT, new Response(451, UpstreamView.clean(text)));
  }

  /**
   * The upstream answered {@code 503}: it is up but cannot store now (a router whose database is
   * away). A local error in processing, try later: 451, as the SMTP client should hear it.
   */
  static UpstreamException unavailable(String reason) {
    return new UpstreamException(Kind.PROTOCOL,
        new Response(451, UpstreamView.clean("4.3.0 rest_output: " + reason)));
  }

  /** A non-success answer: {@link #unavailable} for 503, else {@link #protocol}. */
  static UpstreamException status(int status, String reason) {
    return status == 503 ? unavailable(reason) : protocol(reason);
  }

  /** The upstream answered something we cannot use. */
  static UpstreamException protocol(String reason) {
    return new UpstreamException(Kind.PROTOCOL,
        new Response(450, UpstreamView.clean("4.3.0 rest_output: " + reason)));
  }
}
