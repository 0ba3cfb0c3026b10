package net.koukan.delivery;

import java.io.InputStream;
import net.koukan.filter.BlobSource;
import net.koukan.storage.Storage;

/** A finished blob in storage, streamed on each open. */
record StoredBlob(Storage storage, long blobId, long length) implements BlobSource {
  @Override
  public InputStream open() {
    return storage.openBlob(blobId);
  }
}
