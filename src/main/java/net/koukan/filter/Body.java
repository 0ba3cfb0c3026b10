package net.koukan.filter;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/** A transaction's body as a chain sees it: only finished bodies are handed to filters. */
public sealed interface Body {

  /**
   * In a {@link Builder} made by the message parser, the blob holding the original message (ids
   * starting with {@code __} cannot come from clients).
   */
  String RAW_BLOB = "__raw";

  /** A raw RFC 822 message. */
  record Raw(BlobSource blob) implements Body {}

  /** A message-builder spec (§3.1) with every blob it names; rendered by {@code message_builder}. */
  record Builder(ObjectNode spec, Map<String, BlobSource> blobs) implements Body {}
}
