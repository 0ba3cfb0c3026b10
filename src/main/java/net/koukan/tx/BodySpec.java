package net.koukan.tx;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** The {@code body} of a create or update request (spec §2.5). */
public sealed interface BodySpec {

  /** Inline RFC 822 message, already complete. */
  record Inline(byte[] content) implements BodySpec {}

  /** Reuse the finalized raw body (or a blob) of another transaction. */
  record Reuse(BlobRef ref) implements BodySpec {}

  /**
   * A message-builder spec. {@code storedSpec} has every part's content replaced by
   * {@code {"create_id": id}}; {@code blobs} lists where each id's bytes come from.
   */
  record Builder(ObjectNode storedSpec, List<BuilderBlob> blobs) implements BodySpec {}

  /** One blob of a message-builder spec. */
  record BuilderBlob(String id, Source source) {}

  /** Where the bytes of a builder blob come from. */
  sealed interface Source {}

  record InlineContent(byte[] content) implements Source {}

  record Upload() implements Source {}

  record ReuseBlob(BlobRef ref) implements Source {}
}
