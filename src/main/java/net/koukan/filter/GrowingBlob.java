package net.koukan.filter;

import java.io.IOException;
import java.io.InputStream;

/**
 * A body still arriving from the client (the gateway streams SMTP DATA on as it comes). Until
 * {@link #complete()}, {@link #length()} is the bytes so far and {@link #open()} must not be used;
 * an output that can send pieces (a REST PUT with {@code Content-Range: bytes a-b/*}) reads them
 * with {@link #open(long, long)}. It must never make the body final upstream before
 * {@link #complete()}: a body that is {@link #abandoned()} was refused or cut off.
 */
public interface GrowingBlob extends BlobSource {
  boolean complete();

  boolean abandoned();

  /**
   * Waits until at least {@code atLeast} bytes are in, the body is complete or abandoned, or
   * {@code deadlineNanos} passes; returns {@link #length()}.
   */
  long awaitLength(long atLeast, long deadlineNanos) throws InterruptedException;

  /** {@code length} bytes from {@code offset} (within {@link #length()}). */
  InputStream open(long offset, long length) throws IOException;
}
