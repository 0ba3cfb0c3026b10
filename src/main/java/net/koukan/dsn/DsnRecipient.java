package net.koukan.dsn;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One recipient's entry in a delivery status notification (one per-recipient group of RFC 3464).
 *
 * @param finalRecipient the recipient address (RFC 5321 mailbox without angle brackets; may be
 *     non-ASCII for SMTPUTF8 recipients, reported with the RFC 6533 {@code utf-8} address type)
 * @param action {@code "failed"} or {@code "delayed"} (case-insensitive, stored lower case)
 * @param status the RFC 3463 enhanced status code to report, e.g. {@code "5.1.1"}; a
 *     {@code delayed} recipient must have a 4.x.x status, a {@code failed} one 4.x.x or 5.x.x.
 *     {@link Dsn#statusFor(int, String)} derives it from an SMTP reply.
 * @param remoteCode the SMTP reply code of the answer being reported (200..599)
 * @param remoteMessage the reply text (untrusted; sanitised and length-limited when rendered;
 *     null is treated as empty)
 * @param remoteMta the host that gave the answer, e.g. {@code mx.example.com}; null when unknown
 * @param lastAttempt when delivery to this recipient was last attempted
 * @param willRetryUntil for {@code delayed} recipients, when the MTA will give up; null if
 *     unknown. Ignored (not rendered) for {@code failed} recipients.
 */
public record DsnRecipient(
    String finalRecipient,
    String action,
    String status,
    int remoteCode,
    String remoteMessage,
    String remoteMta,
    Instant lastAttempt,
    Instant willRetryUntil) {

  public static final String FAILED = "failed";
  public static final String DELAYED = "delayed";

  /** RFC 3463/3464 status-code: class "." subject "." detail, no leading zeros. */
  static final Pattern STATUS = Pattern.compile("[245]\\.(?:0|[1-9][0-9]{0,2})\\.(?:0|[1-9][0-9]{0,2})");

  public DsnRecipient {
    Addresses.requireAddress("finalRecipient", finalRecipient);
    Objects.requireNonNull(action, "action");
    action = action.toLowerCase(Locale.ROOT);
    if (!action.equals(FAILED) && !action.equals(DELAYED)) {
      throw new IllegalArgumentException("action must be failed or delayed: " + action);
    }
    Objects.requireNonNull(status, "status");
    if (!STATUS.matcher(status).matches()) {
      throw new IllegalArgumentException("not an enhanced status code: " + status);
    }
    if (action.equals(DELAYED) ? status.charAt(0) != '4' : status.charAt(0) == '2') {
      throw new IllegalArgumentException("status " + status + " does not fit action " + action);
    }
    if (remoteCode < 200 || remoteCode > 599) {
      throw new IllegalArgumentException("remoteCode must be an SMTP reply code: " + remoteCode);
    }
    Objects.requireNonNull(lastAttempt, "lastAttempt");
  }

  boolean delayed() {
    return action.equals(DELAYED);
  }
}
