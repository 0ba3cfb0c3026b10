package net.koukan.drop;

import net.koukan.tx.Response;

/** What storing one message in one destination came to. */
public sealed interface StoreResult {

  /** The object exists (Swift answered 201; the file is fsync'd and linked). */
  record Stored(String destination, String objectName) implements StoreResult {}

  /**
   * Not stored. {@code reply} is what the SMTP client gets: 451 4.3.0 for anything transient or
   * a configuration problem, 552 5.3.4 when the store says the object is too big.
   */
  record Failed(String destination, Response reply, String detail) implements StoreResult {}
}
