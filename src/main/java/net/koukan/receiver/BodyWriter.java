package net.koukan.receiver;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import net.koukan.tx.Envelope;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Body uploads (spec §2.6) into a transaction's part file: a whole PUT, {@code Content-Range}
 * pieces ({@code *} = more to come, a number = the total), or an empty PUT with
 * {@code x-finalize-blob-length}. Bytes already stored are skipped, so re-sending is harmless; a
 * piece starting beyond them, or another total, is {@code 416} with the stored
 * {@code Content-Range} to resume from. When every byte is there the message is committed to
 * disk and only then does {@code data_response} become 250.
 */
final class BodyWriter {
  private static final Logger log = LoggerFactory.getLogger(BodyWriter.class);
  private static final int BUFFER = 64 * 1024;

  private final MessageFiles files;
  private final long maxSize;
  private final Clock clock;

  BodyWriter(MessageFiles files, long maxSize, Clock clock) {
    this.files = files;
    this.maxSize = maxSize;
    this.clock = clock;
  }

  /**
   * What a PUT asks for: bytes from {@code first}, the blob's {@code total} if declared,
   * {@code length} bytes in the request if known; {@code finalizing} for an empty finalizing PUT.
   */
  record Request(long first, Long total, Long length, boolean ranged, boolean finalizing) {
    static Request of(String contentRange, String finalizeLength, Long contentLength) {
      if (finalizeLength != null) {
        if (contentRange != null) {
          throw ReceiverException.badRequest("x-finalize-blob-length and Content-Range are exclusive");
        }
        long n = nonNegative(finalizeLength.trim(), "x-finalize-blob-length");
        return new Request(n, n, 0L, false, true);
      }
      if (contentRange == null) {
        return new Request(0, contentLength, contentLength, false, false);
      }
      if (contentLength == null) {
        throw ReceiverException.badRequest("Content-Range requires Content-Length");
      }
      String h = contentRange.trim();
      int slash = h.indexOf('/');
      int dash = h.indexOf('-');
      if (!h.startsWith("bytes ") || slash < 0 || dash < 0 || dash > slash) {
        throw ReceiverException.badRequest("invalid Content-Range: " + contentRange);
      }
      long first = nonNegative(h.substring(6, dash).trim(), "Content-Range");
      long last = nonNegative(h.substring(dash + 1, slash), "Content-Range");
      String t = h.substring(slash + 1);
      Long total = t.equals("*") ? null : nonNegative(t, "Content-Range");
      if (last < first || (total != null && last >= total)) {
        throw ReceiverException.badRequest("invalid Content-Range: " + contentRange);
      }
      if (last - first + 1 != contentLength) {
        throw ReceiverException.badRequest("Content-Range covers " + (last - first + 1)
            + " bytes but Content-Length is " + contentLength);
      }
      return new Request(first, total, contentLength, true, false);
    }

    private static long nonNegative(String s, String what) {
      try {
        long v = Long.parseLong(s);
        if (v >= 0) {
          return v;
        }
      } catch (NumberFormatException e) {
        // below
      }
      throw ReceiverException.badRequest("invalid " + what + ": " + s);
    }
  }

  /** The answer to a PUT: the stored range and the transaction's new version. */
  record Result(String contentRange, long version) {}

  Result write(ReceivedTx t, Request w, InputStream in, String base) throws IOException {
    t.upload.lock();
    try {
      if (t.cancelled()) {
        throw new ReceiverException(409, "cancelled", "the transaction was cancelled");
      }
      if (w.finalizing() && in.read() != -1) {
        throw ReceiverException.badRequest("x-finalize-blob-length requires an empty body");
      }
      Long total = w.total();
      if ((total != null && total > maxSize) || (w.length() != null && w.first() + w.length() > maxSize)) {
        throw new ReceiverException(413, "too_large", "the message exceeds " + maxSize + " bytes");
      }
      if (w.first() > t.stored || (total != null && t.total != null && !total.equals(t.total))
          || (total != null && total < t.stored)) {
        throw invalidRange(t, "the upload does not continue the stored body");
      }
      if (complete(t)) {
        return resend(t, w, in);
      }
      long pos = stream(t, w.first(), total, in);
      if (total == null && !w.ranged()) {
        total = pos; // a whole PUT of unknown length ends at end of input
      }
      if (total != null) {
        t.total = total;
      }
      if (t.total != null && t.stored == t.total) {
        commit(t);
      } else {
        bump(t);
      }
      return new Result(range(t), version(t));
    } finally {
      t.upload.unlock();
    }
  }

  /** Deletes the partial body of a cancelled transaction, unless an upload is running (it will). */
  void discardIfIdle(ReceivedTx t) {
    if (t.cancelled() && t.upload.tryLock()) {
      try {
        files.discard(t.id, t.part);
        t.part = null;
      } finally {
        t.upload.unlock();
      }
    }
  }

  /** Appends the request's bytes beyond what is stored; returns the position after the last byte. */
  private long stream(ReceivedTx t, long first, Long total, InputStream in) throws IOException {
    if (t.part == null) {
      t.part = files.openPart(t.id);
    }
    byte[] buf = new byte[BUFFER];
    long pos = first;
    int n;
    while ((n = in.read(buf)) > 0) {
      if (t.cancelled()) {
        files.discard(t.id, t.part);
        t.part = null;
        throw new ReceiverException(409, "cancelled", "the transaction was cancelled");
      }
      long start = pos;
      pos += n;
      if (pos > maxSize || (total != null && pos > total)) {
        throw new ReceiverException(413, "too_large", "more bytes than declared or allowed");
      }
      if (pos > t.stored) {
        int from = (int) Math.max(0, t.stored - start);
        ByteBuffer b = ByteBuffer.wrap(buf, from, n - from);
        long at = t.stored;
        while (b.hasRemaining()) {
          at += t.part.write(b, at);
        }
        t.stored = pos;
      }
      t.touch(clock.millis());
    }
    return pos;
  }

  /** Every byte is there: fsync, envelope, rename; then (and only then) data_response. */
  private void commit(ReceivedTx t) {
    Envelope env;
    t.lock.lock();
    try {
      env = t.envelope();
    } finally {
      t.lock.unlock();
    }
    if (env.rcptTo().isEmpty()) {
      files.discard(t.id, t.part);
      t.part = null;
      answer(t, new Response(503, "5.5.1 failed precondition: no recipients"));
      return;
    }
    ObjectNode json = TxJson.MAPPER.createObjectNode();
    json.put("id", t.id);
    json.put("received", Instant.now(clock).toString());
    json.put("size", t.stored);
    json.setAll(env.toStoredJson());
    try {
      files.commit(t.id, t.part, json.toPrettyString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      log.error("receiver: cannot store message {}", t.id, e);
      files.discard(t.id, null);
      t.part = null;
      answer(t, new Response(451, "4.3.0 receiver: could not store the message"));
      throw new ReceiverException(500, "storage_error", "could not store the message");
    }
    t.part = null;
    log.info("receiver: stored {} ({} bytes)", files.message(t.id), t.stored);
    answer(t, new Response(250, "2.0.0 stored " + t.id));
  }

  /** A PUT to a body that is already complete: fine if it is a re-send of what is stored. */
  private Result resend(ReceivedTx t, Request w, InputStream in) throws IOException {
    long received = in.skip(Long.MAX_VALUE) + w.first();
    while (in.read() != -1) {
      received++;
    }
    if (received > t.stored || (w.total() != null && w.total() != t.stored)) {
      throw invalidRange(t, "the body is already complete");
    }
    return new Result(range(t), version(t));
  }

  private boolean complete(ReceivedTx t) {
    t.lock.lock();
    try {
      return t.data() != null;
    } finally {
      t.lock.unlock();
    }
  }

  private static void answer(ReceivedTx t, Response r) {
    t.lock.lock();
    try {
      t.data(r);
      t.bump();
    } finally {
      t.lock.unlock();
    }
  }

  private static void bump(ReceivedTx t) {
    t.lock.lock();
    try {
      t.bump();
    } finally {
      t.lock.unlock();
    }
  }

  private static long version(ReceivedTx t) {
    t.lock.lock();
    try {
      return t.version();
    } finally {
      t.lock.unlock();
    }
  }

  private static ReceiverException invalidRange(ReceivedTx t, String why) {
    return new ReceiverException(416, "invalid_range", why, Map.of("Content-Range", range(t)));
  }

  /** {@code bytes 0-<stored-1>/<total|*>}, or {@code bytes &#42;/<total|*>} while nothing is stored. */
  static String range(ReceivedTx t) {
    String total = t.total == null ? "*" : Long.toString(t.total);
    return t.stored == 0 ? "bytes */" + total : "bytes 0-" + (t.stored - 1) + "/" + total;
  }
}
