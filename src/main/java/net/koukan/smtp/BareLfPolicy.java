package net.koukan.smtp;

/**
 * What to do with a bare LF or a bare CR (one not part of CRLF) in message content or a command
 * line. Whatever the policy, only {@code <CRLF>.<CRLF>} ends DATA, so no smuggling variant can end
 * a message early or start a second one.
 */
public enum BareLfPolicy {
  /**
   * The default. DATA/BDAT content: read (without storing) to the end of the data, answer
   * {@code 554 5.5.2}, deliver nothing. Command lines ending in a bare LF: {@code 500 5.5.2}.
   */
  REJECT,
  /**
   * Like Postfix's {@code smtpd_forbid_bare_newline = normalize}: a bare LF or bare CR is taken as
   * a line end and stored as CRLF (so a "." after it is dot-unstuffed), and LF-terminated command
   * lines are accepted; the end of DATA must still be {@code <CRLF>.<CRLF>}.
   */
  NORMALIZE
}
