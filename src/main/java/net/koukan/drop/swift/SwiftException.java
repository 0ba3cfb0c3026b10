package net.koukan.drop.swift;

import java.io.IOException;

/**
 * Swift answered something other than what the call expects ({@link #status()} &gt; 0), or could
 * not be reached at all ({@link #status()} 0, the cause says why).
 */
public final class SwiftException extends IOException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public SwiftException(int status, String message) {
    super(message);
    this.status = status;
  }

  public SwiftException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  /** The HTTP status, or 0 for an I/O error or timeout. */
  public int status() {
    return status;
  }

  /** Worth another try: I/O errors, timeouts, 408, 429, 498 and 5xx. */
  public boolean transientFailure() {
    return status == 0 || status == 408 || status == 429 || status == 498 || status >= 500;
  }
}
