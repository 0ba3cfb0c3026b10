package net.koukan.smtp;

import java.io.IOException;

/**
 * Receives the decoded bytes of one message (from {@link DataDecoder} or {@link BdatDecoder}),
 * enforces the size limit and records what is wrong with it. After the first problem nothing more
 * is stored: the rest is only read, so the connection stays in step. Bytes are staged in a small
 * buffer and written to the {@link Spool} in runs.
 */
final class Content {
  /** Why a message is refused at the end of its data, most important first. */
  enum Problem { BARE_LF, TOO_BIG, LINE_TOO_LONG }

  private final long maxSize;
  private final Spool spool;
  private final byte[] stage = new byte[8192];
  private int staged;
  private long size;
  private Problem problem;

  /** {@code spool} null: count and check only (the transaction already failed). */
  Content(long maxSize, Spool spool) {
    this.maxSize = maxSize;
    this.spool = spool;
  }

  void put(byte b) throws IOException {
    if (staged == stage.length) {
      flush();
    }
    stage[staged++] = b;
  }

  void putCrlf() throws IOException {
    put((byte) '\r');
    put((byte) '\n');
  }

  /** Writes a run of bytes as they are (BINARYMIME chunks). */
  void putAll(byte[] b, int off, int len) throws IOException {
    flush();
    store(b, off, len);
  }

  void flag(Problem p) {
    if (problem == null || p.ordinal() < problem.ordinal()) {
      problem = p;
    }
  }

  Problem problem() {
    return problem;
  }

  /** Decoded bytes so far, stored or not. */
  long size() {
    return size + staged;
  }

  /** Passes staged bytes on to the spool. */
  void flush() throws IOException {
    if (staged > 0) {
      int n = staged;
      staged = 0;
      store(stage, 0, n);
    }
  }

  private void store(byte[] b, int off, int len) throws IOException {
    size += len;
    if (size > maxSize) {
      flag(Problem.TOO_BIG);
    }
    if (problem == null && spool != null) {
      spool.write(b, off, len);
    }
  }
}
