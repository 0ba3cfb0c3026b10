package net.koukan.smtp;

import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * The application side of one SMTP connection. The server calls these in protocol order on the
 * connection's virtual thread; each may block (cut-through to the next hop) and returns the reply
 * to send. Enhanced status codes belong at the start of the message text ("2.1.0 ok"); the server
 * adds one when the text lacks it. Implementations must not throw: an exception becomes
 * "451 4.3.0 internal error" and {@link #reset} is called.
 */
public interface SmtpSession {

  /** MAIL FROM, after the server checked syntax and the parameters it handles (SIZE, BODY, SMTPUTF8). */
  Response mail(SessionInfo info, Mailbox from);

  /** One RCPT TO, after syntax checks; called only after a 2xx MAIL. */
  Response rcpt(Mailbox to);

  /**
   * DATA (after the 354) or the first BDAT chunk begins: the message will arrive in
   * {@code message} while the server reads it. An application that passes it on as it comes
   * starts doing so here, on its own thread (this is called on the connection's thread and must
   * return at once), and must not treat it as a message before {@link GrowingMessage#complete()}:
   * a message the server refuses is {@link GrowingMessage#abandoned()} and {@link #reset} follows.
   * {@link #data} is still called with the whole message when it is accepted.
   */
  default void dataStarted(GrowingMessage message) {}

  /**
   * The complete message of a transaction with at least one accepted recipient. Returns the one
   * DATA/final-BDAT reply. (LMTP, if ever served, would need one reply per recipient.)
   */
  Response data(MessageBody body);

  /**
   * The transaction ends without data (RSET, a new MAIL after an error, QUIT, disconnect, timeout):
   * cancel whatever is in flight. Also called after {@link #data}; then it is a no-op.
   */
  void reset();

  /** Makes a session per connection. */
  @FunctionalInterface
  interface Factory {
    SmtpSession open(SessionInfo connection);
  }
}
