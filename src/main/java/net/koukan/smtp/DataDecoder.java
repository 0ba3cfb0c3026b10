package net.koukan.smtp;

import java.io.IOException;

/**
 * The DATA content state machine (RFC 5321 §4.1.1.4, §4.5.2). Only {@code <CRLF>.<CRLF>} ends the
 * data (the CRLF of the DATA command counts as the first one, so an empty message is just ".");
 * a line starting with "." after CRLF loses that dot. A bare LF or bare CR (see
 * {@link BareLfPolicy}) is either a {@link Content.Problem#BARE_LF} or, when normalising, a line
 * end stored as CRLF, after which a leading "." is also unstuffed but never ends the data. None of
 * the smuggling sequences ({@code <LF>.<LF>}, {@code <LF>.<CR><LF>}, {@code <CR>.<CR>},
 * {@code <CR><LF>.<LF>}, {@code <CR><LF>.<CR>}, {@code <CR>.<LF>}, ...) ends a message.
 * Text lines longer than {@code maxTextLine} octets (CRLF included, the stuffing dot not) are
 * {@link Content.Problem#LINE_TOO_LONG}.
 */
final class DataDecoder {
  private static final int LINE_START = 0; // after CRLF: "." may be stuffing or the end
  private static final int SOFT_START = 1; // after a normalised bare LF/CR: "." is stuffing only
  private static final int MID = 2;
  private static final int CR = 3;
  private static final int DOT = 4; // "." at LINE_START
  private static final int DOT_CR = 5; // ".<CR>" at LINE_START
  private static final int DONE = 6;

  private final boolean normalize;
  private final int maxTextLine;
  private final Content out;
  private int state = LINE_START;
  private int lineLen;

  DataDecoder(BareLfPolicy policy, int maxTextLine, Content out) {
    this.normalize = policy == BareLfPolicy.NORMALIZE;
    this.maxTextLine = maxTextLine;
    this.out = out;
  }

  /** True once {@code <CRLF>.<CRLF>} was seen. */
  boolean done() {
    return state == DONE;
  }

  /** Decodes from {@code b}; stops right after the end of data. Returns the bytes consumed. */
  int feed(byte[] b, int off, int len) throws IOException {
    int i = off;
    int end = off + len;
    while (i < end && state != DONE) {
      step(b[i++]);
    }
    out.flush();
    return i - off;
  }

  private void step(byte c) throws IOException {
    switch (state) {
      case LINE_START -> {
        if (c == '.') {
          state = DOT;
          lineLen = 0; // the stuffing dot does not count (RFC 5321 §4.5.3.1.6)
        } else {
          startLine(c);
        }
      }
      case SOFT_START -> {
        if (c == '.') { // stuffing dot after a normalised line end: dropped, never the end
          state = MID;
          lineLen = 0;
        } else {
          startLine(c);
        }
      }
      case MID -> mid(c);
      case CR -> {
        if (c == '\n') {
          out.putCrlf();
          state = LINE_START;
          lineLen = 0;
        } else {
          bareLineEnd();
          step(c);
        }
      }
      case DOT -> {
        if (c == '\r') {
          state = DOT_CR;
        } else if (c == '\n') { // <CRLF>.<LF>: not the end
          bareLineEnd();
        } else { // stuffing dot: dropped
          state = MID;
          mid(c);
        }
      }
      case DOT_CR -> {
        if (c == '\n') {
          state = DONE;
        } else { // <CRLF>.<CR>x: not the end
          bareLineEnd();
          step(c);
        }
      }
      default -> throw new IllegalStateException("data already ended");
    }
  }

  private void startLine(byte c) throws IOException {
    state = MID;
    lineLen = 0;
    mid(c);
  }

  private void mid(byte c) throws IOException {
    if (c == '\r') {
      state = CR;
    } else if (c == '\n') {
      bareLineEnd();
    } else {
      lineLen++;
      if (maxTextLine > 0 && lineLen > maxTextLine - 2) {
        out.flag(Content.Problem.LINE_TOO_LONG);
      }
      out.put(c);
    }
  }

  /** A bare LF or CR ended the line: refuse, or store CRLF and go on at a soft line start. */
  private void bareLineEnd() throws IOException {
    if (normalize) {
      out.putCrlf();
    } else {
      out.flag(Content.Problem.BARE_LF);
    }
    state = SOFT_START;
    lineLen = 0;
  }
}
