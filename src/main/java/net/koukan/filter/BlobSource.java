package net.koukan.filter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/** The bytes of a finished blob, readable as often as needed, streamed rather than held. */
public interface BlobSource {
  long length();

  InputStream open() throws IOException;

  default byte[] readAll() throws IOException {
    try (InputStream in = open()) {
      return in.readAllBytes();
    }
  }

  static BlobSource of(byte[] bytes) {
    return new BlobSource() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public InputStream open() {
        return new ByteArrayInputStream(bytes);
      }
    };
  }
}
