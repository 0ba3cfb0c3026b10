package net.koukan.filter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;

/** A few bytes (a header) followed by a blob, streamed from the blob each time: nothing is copied. */
public record PrependedBlob(byte[] prefix, BlobSource rest) implements BlobSource {
  @Override
  public long length() {
    return prefix.length + rest.length();
  }

  @Override
  public InputStream open() throws IOException {
    return new SequenceInputStream(new ByteArrayInputStream(prefix), rest.open());
  }
}
