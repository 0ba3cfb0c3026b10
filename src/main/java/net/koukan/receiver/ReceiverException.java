package net.koukan.receiver;

import java.util.Map;

/** An HTTP error, answered as {@code {"code": code, "message": message}} with extra headers. */
final class ReceiverException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final transient Map<String, String> headers;

  ReceiverException(int status, String code, String message) {
    this(status, code, message, Map.of());
  }

  ReceiverException(int status, String code, String message, Map<String, String> headers) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = Map.copyOf(headers);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  Map<String, String> headers() {
    return headers;
  }

  static ReceiverException badRequest(String message) {
    return new ReceiverException(400, "bad_request", message);
  }
}
