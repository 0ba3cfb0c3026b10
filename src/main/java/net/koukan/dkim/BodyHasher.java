package net.koukan.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Canonicalizes a body as it streams by (RFC 6376 §3.4.3, §3.4.4) and hashes it with SHA-256,
 * holding only a count of pending empty lines, never the body. Bare LF counts as a line end (as
 * CRLF); a lone CR is an ordinary byte. With a {@code limit} (a verifier's {@code l=}), only the
 * first {@code limit} canonical bytes are hashed; {@link #canonicalLength} is always the full
 * canonical length.
 */
public final class BodyHasher {
  private final Canon canon;
  private final long limit;
  private final MessageDigest digest;
  private final byte[] out = new byte[8192];
  private int outLen;
  private long length;
  private long pendingCrlf;
  private boolean pendingCr;
  private boolean pendingWsp;
  private boolean content;
  private byte[] result;

  /** {@code limit} < 0: hash everything. */
  public BodyHasher(Canon canon, long limit) {
    this.canon = canon;
    this.limit = limit;
    try {
      this.digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public BodyHasher(Canon canon) {
    this(canon, -1);
  }

  public void update(byte[] b, int off, int len) {
    for (int i = off; i < off + len; i++) {
      update(b[i]);
    }
  }

  public void update(byte[] b) {
    update(b, 0, b.length);
  }

  private void update(byte b) {
    if (pendingCr) {
      pendingCr = false;
      if (b == '\n') {
        lineEnd();
        return;
      }
      content((byte) '\r');
    }
    if (b == '\r') {
      pendingCr = true;
    } else if (b == '\n') {
      lineEnd();
    } else {
      content(b);
    }
  }

  private void lineEnd() {
    pendingWsp = false; // relaxed: no white space at line ends
    pendingCrlf++;
  }

  private void content(byte b) {
    if (canon == Canon.RELAXED) {
      if (b == ' ' || b == '\t') {
        pendingWsp = true;
        return;
      }
      flushLines();
      if (pendingWsp) {
        emit((byte) ' ');
        pendingWsp = false;
      }
    } else {
      flushLines();
    }
    emit(b);
    content = true;
  }

  private void flushLines() {
    for (; pendingCrlf > 0; pendingCrlf--) {
      emit((byte) '\r');
      emit((byte) '\n');
    }
  }

  private void emit(byte b) {
    if (outLen == out.length) {
      drain();
    }
    out[outLen++] = b;
    length++;
  }

  private void drain() {
    long hashedBefore = length - outLen;
    int n = outLen;
    if (limit >= 0) {
      n = (int) Math.max(0, Math.min(outLen, limit - hashedBefore));
    }
    digest.update(out, 0, n);
    outLen = 0;
  }

  /** Ends the body: trailing empty lines become one CRLF (simple: always; relaxed: if any content). */
  public byte[] finish() {
    if (result != null) {
      return result.clone();
    }
    if (pendingCr) {
      pendingCr = false;
      content((byte) '\r');
    }
    if (canon == Canon.SIMPLE || content) {
      emit((byte) '\r');
      emit((byte) '\n');
    }
    pendingCrlf = 0;
    drain();
    result = digest.digest();
    return result.clone();
  }

  /** The canonical body length (all of it, also beyond a limit); final after {@link #finish}. */
  public long canonicalLength() {
    return length;
  }
}
