package net.koukan.smtp;

/**
 * Hard limits of one listener. Every limit is enforced by the server before the application sees
 * anything.
 *
 * @param maxMessageSize bytes of content (after dot-unstuffing); advertised as {@code SIZE n};
 *     {@code MAIL SIZE=} above it and content beyond it get {@code 552 5.3.4}
 * @param maxRecipients accepted recipients per transaction; one more gets {@code 452 4.5.3}
 * @param maxCommandLine octets of a command line including CRLF (RFC 5321 §4.5.3.1.4: 512);
 *     longer lines get {@code 500 5.5.2}. AUTH lines may be up to 12288 octets (RFC 4954 §4)
 * @param maxTextLine octets of a DATA line including CRLF (RFC 5321 §4.5.3.1.6: 1000); a longer
 *     line makes the message fail with {@code 554 5.6.0} at the end of data; 0 = no limit
 * @param maxCommands commands per connection; then {@code 421 4.7.0} and close
 * @param maxErrors protocol errors per connection (syntax, sequence, unknown commands, failed
 *     AUTH; not the application's rejections); then {@code 421 4.7.0} and close
 * @param spoolMemory bytes of a message kept in memory before it is spooled to a temp file
 */
public record SmtpLimits(long maxMessageSize, int maxRecipients, int maxCommandLine,
    int maxTextLine, int maxCommands, int maxErrors, int spoolMemory) {

  /** RFC 4954 §4: the AUTH command line may be this long. */
  public static final int MAX_AUTH_LINE = 12288;

  public SmtpLimits {
    if (maxMessageSize < 1) {
      throw new IllegalArgumentException("maxMessageSize must be > 0");
    }
    if (maxRecipients < 1) {
      throw new IllegalArgumentException("maxRecipients must be > 0");
    }
    if (maxCommandLine < 512 || maxCommandLine > MAX_AUTH_LINE) {
      throw new IllegalArgumentException("maxCommandLine must be in [512, 12288] (RFC 5321 §4.5.3.1.4)");
    }
    if (maxTextLine != 0 && maxTextLine < 1000) {
      throw new IllegalArgumentException("maxTextLine must be 0 (no limit) or >= 1000 (RFC 5321 §4.5.3.1.6)");
    }
    if (maxCommands < 1 || maxErrors < 1) {
      throw new IllegalArgumentException("maxCommands and maxErrors must be > 0");
    }
    if (spoolMemory < 0) {
      throw new IllegalArgumentException("spoolMemory must be >= 0");
    }
  }

  /**
   * 32 MiB messages (as the reference advertises), 100 recipients, 512-octet commands, 1000-octet
   * text lines, 100000 commands, 20 errors (Postfix's smtpd_hard_error_limit), 1 MiB in memory.
   */
  public static SmtpLimits defaults() {
    return new SmtpLimits(32L << 20, 100, 512, 1000, 100_000, 20, 1 << 20);
  }

  public SmtpLimits withMaxMessageSize(long v) {
    return new SmtpLimits(v, maxRecipients, maxCommandLine, maxTextLine, maxCommands, maxErrors, spoolMemory);
  }

  public SmtpLimits withMaxRecipients(int v) {
    return new SmtpLimits(maxMessageSize, v, maxCommandLine, maxTextLine, maxCommands, maxErrors, spoolMemory);
  }

  public SmtpLimits withMaxCommandLine(int v) {
    return new SmtpLimits(maxMessageSize, maxRecipients, v, maxTextLine, maxCommands, maxErrors, spoolMemory);
  }

  public SmtpLimits withMaxTextLine(int v) {
    return new SmtpLimits(maxMessageSize, maxRecipients, maxCommandLine, v, maxCommands, maxErrors, spoolMemory);
  }

  public SmtpLimits withMaxCommands(int v) {
    return new SmtpLimits(maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, v, maxErrors, spoolMemory);
  }

  public SmtpLimits withMaxErrors(int v) {
    return new SmtpLimits(maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, maxCommands, v, spoolMemory);
  }

  public SmtpLimits withSpoolMemory(int v) {
    return new SmtpLimits(maxMessageSize, maxRecipients, maxCommandLine, maxTextLine, maxCommands, maxErrors, v);
  }
}
