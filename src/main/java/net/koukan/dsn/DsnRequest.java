package net.koukan.dsn;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Everything needed to build one delivery status notification.
 *
 * @param reportingMta this MTA's domain name (ASCII, e.g. {@code mail.example.com}); used for
 *     {@code Reporting-MTA} and as the right-hand side of the DSN's Message-ID
 * @param mailerDaemon the DSN's From address, e.g. {@code mailer-daemon@example.com}
 * @param originalSender the original MAIL FROM, to which the DSN is addressed; must not be empty
 *     (the null reverse-path is never bounced)
 * @param envelopeId the original ENVID, or null
 * @param arrivalDate when the original message arrived
 * @param recipients one entry per reported recipient; at least one
 * @param originalHeaders the original message's header block (or the whole message: only the
 *     part before the first blank line is used), or null to omit the {@code text/rfc822-headers}
 *     part; copied on construction and on access
 * @param now the DSN's Date
 * @param messageIdLocalPart random left-hand side of the DSN's Message-ID (dot-atom text)
 */
public record DsnRequest(
    String reportingMta,
    String mailerDaemon,
    String originalSender,
    String envelopeId,
    Instant arrivalDate,
    List<DsnRecipient> recipients,
    byte[] originalHeaders,
    Instant now,
    String messageIdLocalPart) {

  private static final Pattern HOSTNAME =
      Pattern.compile("(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
          + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");
  private static final Pattern DOT_ATOM =
      Pattern.compile("(?=.{1,128}$)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*");

  public DsnRequest {
    Objects.requireNonNull(reportingMta, "reportingMta");
    if (!HOSTNAME.matcher(reportingMta).matches()) {
      throw new IllegalArgumentException("reportingMta is not an ASCII domain name: " + reportingMta);
    }
    Addresses.requireAddress("mailerDaemon", mailerDaemon);
    Addresses.requireAddress("originalSender", originalSender);
    Objects.requireNonNull(arrivalDate, "arrivalDate");
    recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
    if (recipients.isEmpty()) {
      throw new IllegalArgumentException("a DSN needs at least one recipient");
    }
    originalHeaders = originalHeaders == null ? null : originalHeaders.clone();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(messageIdLocalPart, "messageIdLocalPart");
    if (!DOT_ATOM.matcher(messageIdLocalPart).matches()) {
      throw new IllegalArgumentException("messageIdLocalPart is not dot-atom text: " + messageIdLocalPart);
    }
  }

  /** A copy of the original header bytes, or null. */
  @Override
  public byte[] originalHeaders() {
    return originalHeaders == null ? null : originalHeaders.clone();
  }

  /** True when every recipient is {@code delayed} (the DSN is a delay notice, not a bounce). */
  public boolean allDelayed() {
    return recipients.stream().allMatch(DsnRecipient::delayed);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DsnRequest r
        && reportingMta.equals(r.reportingMta)
        && mailerDaemon.equals(r.mailerDaemon)
        && originalSender.equals(r.originalSender)
        && Objects.equals(envelopeId, r.envelopeId)
        && arrivalDate.equals(r.arrivalDate)
        && recipients.equals(r.recipients)
        && Arrays.equals(originalHeaders, r.originalHeaders)
        && now.equals(r.now)
        && messageIdLocalPart.equals(r.messageIdLocalPart);
  }

  @Override
  public int hashCode() {
    return Objects.hash(reportingMta, mailerDaemon, originalSender, envelopeId, arrivalDate,
        recipients, Arrays.hashCode(originalHeaders), now, messageIdLocalPart);
  }

  @Override
  public String toString() {
    return "DsnRequest[reportingMta=" + reportingMta + ", mailerDaemon=" + mailerDaemon
        + ", originalSender=" + originalSender + ", envelopeId=" + envelopeId
        + ", arrivalDate=" + arrivalDate + ", recipients=" + recipients
        + ", originalHeaders=" + (originalHeaders == null ? "null" : originalHeaders.length + " bytes")
        + ", now=" + now + ", messageIdLocalPart=" + messageIdLocalPart + "]";
  }
}
