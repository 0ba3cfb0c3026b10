package net.koukan.drop;

import java.time.Instant;
import net.koukan.filter.BlobSource;

/**
 * Where a section's messages go: a Swift container ({@link SwiftDestination}) or a local folder
 * ({@link MaildirDestination}). Both store each message as {@code cur/<unique name>} without ever
 * overwriting, keep the {@link Receipt} with it, and support the {@link DropQueue} consumer
 * protocol.
 */
public sealed interface Destination permits SwiftDestination, MaildirDestination {

  /** The section name (upper-case for SwiftDrop environments). */
  String name();

  /** "swift container X (auth ...)" or "folder /path", for logs and errors. */
  String describe();

  /**
   * Stores {@code content} under a new name; gives up (451) at {@code deadline}. Never throws;
   * never overwrites.
   */
  StoreResult store(Receipt receipt, BlobSource content, Instant deadline);

  /** Best effort: removes a stored message again (another destination of it failed). */
  void discard(String objectName);

  /** Start-up check: null when usable, else what is wrong (naming the container or folder). */
  String check();

  /** The consumer side of this destination. */
  DropQueue queue();
}
