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

  public boolean bodyFinalized() {
    return bodyKind != BodyKind.NONE && blobs.stream().allMatch(BlobStatus::finalized);
  }
}
