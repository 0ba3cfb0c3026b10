package net.koukan.smtp;

import java.io.IOException;
import java.io.InputStream;

/**
 * A received message (after dot-unstuffing, or the concatenated BDAT chunks), spooled by the
 * server (in memory up to a threshold, then in a temporary file); readable more than once until
 * the session is done with it.
 */
public interface MessageBody {
  long size();

  InputStream open() throws IOException;
}
