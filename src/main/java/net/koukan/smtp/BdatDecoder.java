package net.koukan.smtp;

import java.io.IOException;

/**
 * BDAT content (RFC 3030): chunks are taken by exact byte count, so nothing in them can end the
 * message. Unless the body is BINARYMIME, a bare LF or bare CR still gets the {@link BareLfPolicy}
 * (refused, or stored as CRLF), so a message received in chunks cannot smuggle a
 * {@code <LF>.<LF>} to a weaker next hop; a CR at the end of a chunk waits for the next one.
 */
final class BdatDecoder {
  private final boolean normalize;
  private final boolean binary;
  private final Content out;
  private boolean pendingCr;

  BdatDecoder(BareLfPolicy policy, boolean binary, Content out) {
    this.normalize = policy == BareLfPolicy.NORMALIZE;
    this.binary = binary;
    this.out = out;
  }

  Content content() {
    return out;
  }

  void feed(byte[] b, int off, int len) throws IOException {
    if (binary) {
      out.putAll(b, off, len);
      return;
    }
    for (int i = off, end = off + len; i < end; i++) {
      byte c = b[i];
      if (pendingCr) {
        pendingCr = false;
        if (c == '\n') {
          out.putCrlf();
          continue;
        }
        bare();
      }
      if (c == '\r') {
        pendingCr = true;
      } else if (c == '\n') {
        bare();
      } else {
        out.put(c);
      }
    }
    out.flush();
  }

  /** After the LAST chunk: a CR at the very end is a bare CR. */
  void finish() throws IOException {
    if (pendingCr) {
      pendingCr = false;
      bare();
    }
    out.flush();
  }

  private void bare() throws IOException {
    if (normalize) {
      out.putCrlf();
    } else {
      out.flag(Content.Problem.BARE_LF);
    }
  }
}
