package net.koukan.smtp;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * A message body being received: bytes in memory up to a threshold, then in a temporary file
 * (mode 0600) that {@link #close()} deletes. Written once by the connection, then {@link #finish()}ed
 * and handed to the application as a {@link MessageBody}, readable any number of times until closed.
 */
final class Spool implements MessageBody, AutoCloseable {
  private final int memoryLimit;
  private final Path dir;
  private byte[] mem = new byte[0];
  private long size;
  private Path file;
  private OutputStream fileOut;
  private boolean finished;
  private boolean closed;

  /** {@code dir} null = the system temp directory. */
  Spool(int memoryLimit, Path dir) {
    this.memoryLimit = memoryLimit;
    this.dir = dir;
  }

  void write(byte[] b, int off, int len) throws IOException {
    if (finished || closed) {
      throw new IllegalStateException("spool is finished");
    }
    if (len == 0) {
      return;
    }
    if (fileOut == null && size + len > memoryLimit) {
      toFile();
    }
    if (fileOut != null) {
      fileOut.write(b, off, len);
    } else {
      if (size + len > mem.length) {
        mem = Arrays.copyOf(mem, (int) Math.min(memoryLimit, Math.max(size + len, Math.max(8192, mem.length * 2L))));
      }
      System.arraycopy(b, off, mem, (int) size, len);
    }
    size += len;
  }

  private void toFile() throws IOException {
    Path d = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
    try {
      file = Files.createTempFile(d, "koukan-smtp-", ".msg",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      file = Files.createTempFile(d, "koukan-smtp-", ".msg");
    }
    fileOut = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
    fileOut.write(mem, 0, (int) size);
    mem = null;
  }

  /** Ends writing; the body is then readable. */
  void finish() throws IOException {
    if (!finished && fileOut != null) {
      fileOut.close();
    }
    finished = true;
  }

  /** True once the body went to a file (for tests and logs). */
  boolean onDisk() {
    return file != null;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public InputStream open() throws IOException {
    if (!finished || closed) {
      throw new IllegalStateException(closed ? "message body was released" : "message body not complete");
    }
    return file != null ? Files.newInputStream(file) : new ByteArrayInputStream(mem, 0, (int) size);
  }

  /** Deletes the temp file, if any. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    mem = null;
    try {
      if (fileOut != null && !finished) {
        fileOut.close();
      }
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete spool file " + file, e);
    }
  }
}
