package net.koukan.storage;

/** The result of an append: bytes now stored, declared length (null if unknown), tx version. */
public record BlobWrite(long stored, Long length, long version) {
  public boolean finalized() {
    return length != null && stored == length;
  }
}
