package net.koukan.storage;

/** Storage refused an operation; {@link Kind} tells the caller how to report it. */
public final class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the operation was refused. */
  public enum Kind {
    NOT_FOUND, VERSION_CONFLICT, INVALID, INVALID_RANGE, TOO_LARGE, UNAVAILABLE,
    /** This session does not hold the transaction's lease (any more): another replica may. */
    LEASE_LOST
  }

  private final Kind kind;

  public StorageException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public StorageException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  static StorageException notFound(String what) {
    return new StorageException(Kind.NOT_FOUND, what + " not found");
  }

  static StorageException conflict() {
    return new StorageException(Kind.VERSION_CONFLICT, "update conflict");
  }
}
