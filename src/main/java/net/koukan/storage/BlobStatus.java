package net.koukan.storage;

/** A blob as seen from one transaction: its id there, bytes stored, declared length if known. */
public record BlobStatus(String restId, long stored, Long length) {
  public boolean finalized() {
    return length != null && stored == length;
  }
}
