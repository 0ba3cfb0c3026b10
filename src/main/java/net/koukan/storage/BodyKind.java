package net.koukan.storage;

/** What kind of body a transaction has. Stored as its ordinal: never reorder. */
public enum BodyKind {
  /** No body yet (incremental transaction before its first PUT). */
  NONE,
  /** A raw RFC 822 body blob. */
  RAW,
  /** A message-builder spec and its blobs. */
  MESSAGE_BUILDER
}
