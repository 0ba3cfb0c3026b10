package net.koukan.tx;

/** An SMTP-style response; code 600 is an internal error. */
public record Response(int code, String message) {
  public Response {
    if (code < 100 || code > 699) {
      throw new IllegalArgumentException("response code out of range: " + code);
    }
    if (message == null) {
      message = defaultMessage(code);
    }
  }

  public static String defaultMessage(int code) {
    return switch (code / 100) {
      case 2 -> "ok";
      case 4 -> "temporary error";
      case 5 -> "permanent error";
      default -> "internal error";
    };
  }

  public boolean ok() {
    return code / 100 == 2;
  }

  public boolean temporary() {
    return code / 100 == 4;
  }

  public boolean permanent() {
    return code / 100 == 5;
  }
}
