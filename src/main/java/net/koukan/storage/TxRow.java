package net.koukan.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import net.koukan.tx.Envelope;

/**
 * A snapshot of one stored transaction. {@code responses} are those of the latest attempt
 * (null before the first); {@code leaseUri} is the session URI of the live lease holder, if any.
 */
public record TxRow(
    long id,
    String restId,
    long version,
    Envelope envelope,
    BodyKind bodyKind,
    ObjectNode messageBuilder,
    boolean inputDone,
    boolean retry,
    boolean notification,
    boolean cancelled,
    String finalAttemptReason,
    int attemptCount,
    ObjectNode responses,
    Long leaseSessionId,
    String leaseUri,
    long creation,
    long lastUpdate,
    Long nextAttemptTime,
    List<BlobStatus> blobs) {

  /** The internal final reason of a single-attempt transaction while its attempt runs. */
  public static final String ONESHOT = "oneshot";

  public TxRow {
    blobs = List.copyOf(blobs);
  }

  /** The final reason as clients see it: the internal "oneshot" marker is hidden. */
  public String visibleFinalReason() {
    return ONESHOT.equals(finalAttemptReason) ? null : finalAttemptReason;
  }

  /**
   * This row with its JSON trees copied: rows kept by {@link RowCache} are handed out as copies,
   * so that no caller can change what the next one reads.
   */
  TxRow copy() {
    Envelope e = envelope;
    if (e.smtpMeta() != null || e.filterOutput() != null) {
      e = new Envelope(e.sender(), e.tag(), e.remoteHost(), e.localHost(), e.mailFrom(),
          e.rcptTo(), e.smtpMeta() == null ? null : e.smtpMeta().deepCopy(),
          e.filterOutput() == null ? null : e.filterOutput().deepCopy());
    }
    return new TxRow(id, restId, version, e, bodyKind,
        messageBuilder == null ? null : messageBuilder.deepCopy(), inputDone, retry,
        notification, cancelled, finalAttemptReason, attemptCount,
        responses == null ? null : responses.deepCopy(), leaseSessionId, leaseUri, creation,
        lastUpdate, nextAttemptTime, blobs);
  }

  /**
   * This row after attempt {@code attemptId} stored {@code responses} (the whole object, as
   * stored) and bumped the version at {@code lastUpdate}. The responses shown are the latest
   * attempt's, so another attempt's leave them as they were.
   */
  TxRow afterResponses(int attemptId, ObjectNode stored, long lastUpdate) {
    return new TxRow(id, restId, version + 1, envelope, bodyKind, messageBuilder, inputDone, retry,
        notification, cancelled, finalAttemptReason, attemptCount,
        attemptId == attemptCount ? stored : responses, leaseSessionId, leaseUri, creation,
        lastUpdate, nextAttemptTime, blobs);
  }

  public boolean bodyFinalized() {
    return bodyKind != BodyKind.NONE && blobs.stream().allMatch(BlobStatus::finalized);
  }
}
