package net.koukan.smtp;

/** A command is refused with {@link #reply()}; thrown by the parsers, caught by the connection. */
final class ReplyException extends Exception {
  private final transient Reply reply;

  ReplyException(Reply reply) {
    super(reply.toString(), null, false, false);
    this.reply = reply;
  }

  ReplyException(int code, String enhanced, String text) {
    this(Reply.of(code, enhanced, text));
  }

  Reply reply() {
    return reply;
  }
}
