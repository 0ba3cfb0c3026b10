package net.koukan.restout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import net.koukan.filter.BlobSource;
import net.koukan.filter.GrowingBlob;
import net.koukan.tx.BoundedInputStream;

/**
 * Uploads one finished blob with PUT (spec §2.6, wire notes §10.6): one plain PUT when it fits in
 * a chunk, else {@code Content-Range: bytes a-b/*} pieces and a last one carrying the total. The
 * upstream's {@code Content-Range} answer (200 or 416) says how much it holds; the upload resumes
 * from there. Bytes are streamed from the source, one bounded slice per request.
 */
final class BodyUpload {
  /** Requests in a row that do not move the stored length forward before giving up. */
  private static final int MAX_STALLS = 3;

  private final UpstreamHttp http;
  private final int chunkSize;

  BodyUpload(UpstreamHttp http, int chunkSize) {
    this.http = http;
    this.chunkSize = chunkSize;
  }

  void upload(URI uri, BlobSource blob, long deadline) throws UpstreamException, InterruptedException {
    upload(uri, blob, deadline, 0);
  }

  /**
   * Streams a body that is still arriving: a {@code bytes a-b/*} piece whenever {@code chunkSize}
   * new bytes are in, or whatever is in after {@code refresh} (so the upstream sees progress
   * from a slow client), and nothing final until the body is complete. Each piece has
   * {@code perRequest} to go through; waiting for the client is bounded by the SMTP side, which
   * abandons the body when the client stalls. Returns once the whole body is stored upstream;
   * the caller then waits for the DATA response.
   */
  void stream(URI uri, GrowingBlob blob, java.time.Duration refresh, java.time.Duration perRequest)
      throws UpstreamException, InterruptedException {
    long offset = 0;
    long lastSent = System.nanoTime();
    while (true) {
      long target = offset + chunkSize;
      long have = blob.awaitLength(target, Math.min(lastSent + refresh.toNanos(), System.nanoTime() + 1_000_000_000L));
      if (blob.abandoned()) {
        throw UpstreamException.protocol("message abandoned by the SMTP client side at byte " + have);
      }
      if (blob.complete()) {
        upload(uri, blob, System.nanoTime() + perRequest.toNanos(), offset);
        return;
      }
      boolean full = have >= target;
      boolean due = System.nanoTime() - lastSent >= refresh.toNanos() && have > offset;
      if (!full && !due) {
        continue;
      }
      long n = Math.min(chunkSize, have - offset);
      UpstreamHttp.Reply r = http.send("PUT", uri, piece(blob, offset, n),
          System.nanoTime() + perRequest.toNanos(),
          "Content-Range", "bytes " + offset + "-" + (offset + n - 1) + "/*");
      if (r.status() != 200 && r.status() != 416) {
        throw UpstreamException.status(r.status(), "PUT " + uri + " answered HTTP " + r.status()
            + (r.body().length > 0 ? ": " + r.excerpt() : ""));
      }
      Range stored = Range.parse(r.header("Content-Range"), Long.MAX_VALUE, uri);
      long now = stored == null ? offset + n : stored.length();
      if (now <= offset) {
        throw UpstreamException.protocol("PUT " + uri + " makes no progress at byte " + offset);
      }
      offset = Math.min(now, have);
      lastSent = System.nanoTime();
    }
  }

  private static HttpRequest.BodyPublisher piece(GrowingBlob blob, long offset, long n) {
    HttpRequest.BodyPublisher in = HttpRequest.BodyPublishers.ofInputStream(() -> {
      try {
        return blob.open(offset, n);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return HttpRequest.BodyPublishers.fromPublisher(in, n);
  }

  /** Uploads {@code blob}, of which the upstream already holds the first {@code start} bytes. */
  private void upload(URI uri, BlobSource blob, long deadline, long start)
      throws UpstreamException, InterruptedException {
    long total = blob.length();
    long offset = start;
    int stalls = 0;
    while (true) {
      long n = Math.min(chunkSize, total - offset);
      boolean last = offset + n == total;
      String[] headers;
      if (offset == 0 && last) {
        headers = new String[0]; // the whole blob in one request
      } else if (n == 0) {
        headers = new String[] {"x-finalize-blob-length", Long.toString(total)};
      } else {
        headers = new String[] {"Content-Range",
            "bytes " + offset + "-" + (offset + n - 1) + "/" + (last ? Long.toString(total) : "*")};
      }
      UpstreamHttp.Reply r = http.send("PUT", uri, slice(blob, offset, n), deadline, headers);
      if (r.status() != 200 && r.status() != 416) {
        throw UpstreamException.status(r.status(), "PUT " + uri + " answered HTTP " + r.status()
            + (r.body().length > 0 ? ": " + r.excerpt() : ""));
      }
      Range stored = Range.parse(r.header("Content-Range"), total, uri);
      if (stored == null) {
        if (r.status() == 416) {
          throw UpstreamException.protocol("PUT " + uri + " answered 416 without Content-Range");
        }
        stored = new Range(offset + n, last); // a server that does not say: assume it took the piece
      }
      if (stored.finished() || (r.status() == 200 && last && stored.length() == total)) {
        return;
      }
      stalls = stored.length() > offset ? 0 : stalls + 1;
      if (stalls >= MAX_STALLS) {
        throw UpstreamException.protocol("PUT " + uri + " makes no progress at byte " + offset);
      }
      offset = stored.length();
    }
  }

  /** {@code n} bytes of {@code blob} from {@code offset}, opened afresh for every (re)send. */
  static HttpRequest.BodyPublisher slice(BlobSource blob, long offset, long n) {
    if (n == 0) {
      return HttpRequest.BodyPublishers.noBody();
    }
    if (blob instanceof GrowingBlob g) {
      return piece(g, offset, n);
    }
    HttpRequest.BodyPublisher in = HttpRequest.BodyPublishers.ofInputStream(() -> {
      try {
        InputStream s = blob.open();
        s.skipNBytes(offset);
        return new BoundedInputStream(s, n);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    return HttpRequest.BodyPublishers.fromPublisher(in, n);
  }

  /**
   * The stored length an upstream reports ({@code bytes 0-<last>/<total>} or {@code bytes
   * &#42;/<total>}, the total possibly {@code *}), checked against the blob: a range that does not start at 0, claims more than
   * the blob holds, or has another total is refused.
   */
  record Range(long length, boolean finished) {
    static Range parse(String header, long total, URI uri) throws UpstreamException {
      if (header == null) {
        return null;
      }
      String h = header.trim();
      try {
        if (!h.startsWith("bytes ")) {
          throw new NumberFormatException();
        }
        String spec = h.substring(6).trim();
        int slash = spec.indexOf('/');
        String range = spec.substring(0, slash);
        String t = spec.substring(slash + 1);
        long length;
        if (range.equals("*")) {
          length = 0;
        } else {
          int dash = range.indexOf('-');
          if (Long.parseLong(range.substring(0, dash)) != 0) {
            throw UpstreamException.protocol("PUT " + uri + ": Content-Range does not start at 0: " + h);
          }
          length = Long.parseLong(range.substring(dash + 1)) + 1;
        }
        Long theirs = t.equals("*") ? null : Long.parseLong(t);
        if (length < 0 || length > total || (theirs != null && theirs != total)) {
          throw UpstreamException.protocol("PUT " + uri + ": upstream Content-Range " + h
              + " does not fit a body of " + total + " bytes");
        }
        return new Range(length, theirs != null && length == total);
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        throw UpstreamException.protocol("PUT " + uri + ": invalid Content-Range " + UpstreamView.clean(h));
      }
    }
  }
}
