package net.koukan.smtp;

import java.io.IOException;
import java.io.InputStream;

/**
 * A message body still arriving (DATA or BDAT in progress), for applications that pass it on as
 * it comes ({@link SmtpSession#dataStarted}). The bytes so far are dot-unstuffed message bytes;
 * whether they are a message at all is known only at the end: {@link #complete()} turns true
 * only if the server accepted the end of data (no bare LF, size within limits). A message the
 * server refuses, or a connection that breaks, is {@link #abandoned()} and never completes.
 */
public interface GrowingMessage {
  /** Bytes received so far (the final size once complete). */
  long size();

  /** The server accepted the whole message: {@link #size()} is final. */
  boolean complete();

  /** The message will never complete (refused, reset, connection lost). */
  boolean abandoned();

  /**
   * Waits until at least {@code atLeast} bytes are in, the message is complete or abandoned, or
   * {@code deadlineNanos} ({@link System#nanoTime}) passes; returns {@link #size()}.
   */
  long awaitSize(long atLeast, long deadlineNanos) throws InterruptedException;

  /** {@code length} bytes from {@code offset}, which must be within {@link #size()}. */
  InputStream open(long offset, long length) throws IOException;
}
