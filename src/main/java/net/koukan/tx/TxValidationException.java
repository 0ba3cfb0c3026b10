package net.koukan.tx;

/** A request violates the transaction JSON rules; maps to HTTP 400. */
public final class TxValidationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TxValidationException(String message) {
    super(message);
  }
}
