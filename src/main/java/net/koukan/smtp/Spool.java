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
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import net.koukan.tx.BoundedInputStream;

/**
 * A message body being received: bytes in memory up to a threshold, then in a temporary file
 * (mode 0600) that {@link #close()} deletes. Written once by the connection, then {@link #finish()}ed
 * and handed to the application as a {@link MessageBody}, readable any number of times until closed.
 * While it is written, one other thread may read the bytes so far ({@link GrowingMessage}).
 */
final class Spool implements MessageBody, GrowingMessage, AutoCloseable {
  private final int memoryLimit;
  private final Path dir;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition grown = lock.newCondition();
  private byte[] mem = new byte[0];
  private long size;
  private Path file;
  private OutputStream fileOut;
  private boolean flushed = true;
  private boolean finished;
  private boolean closed;

  /** {@code dir} null = the system temp directory. */
  Spool(int memoryLimit, Path dir) {
    this.memoryLimit = memoryLimit;
    this.dir = dir;
  }

  void write(byte[] b, int off, int len) throws IOException {
    lock.lock();
    try {
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
        flushed = false;
      } else {
        if (size + len > mem.length) {
          mem = Arrays.copyOf(mem, (int) Math.min(memoryLimit, Math.max(size + len, Math.max(8192, mem.length * 2L))));
        }
        System.arraycopy(b, off, mem, (int) size, len);
      }
      size += len;
      grown.signalAll();
    } finally {
      lock.unlock();
    }
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
    flushed = false;
    mem = null;
  }

  /** Ends writing; the body is then readable. */
  void finish() throws IOException {
    lock.lock();
    try {
      if (!finished && fileOut != null) {
        fileOut.close();
        flushed = true;
      }
      finished = true;
      grown.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** True once the body went to a file (for tests and logs). */
  boolean onDisk() {
    return file != null;
  }

  @Override
  public long size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean complete() {
    lock.lock();
    try {
      return finished;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean abandoned() {
    lock.lock();
    try {
      return closed && !finished;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long awaitSize(long atLeast, long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (size < atLeast && !finished && !closed) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          break;
        }
        grown.awaitNanos(left);
      }
      return size;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public InputStream open(long offset, long length) throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw new IOException("message body was released");
      }
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new IllegalArgumentException("range " + offset + "+" + length + " beyond " + size + " bytes");
      }
      if (file == null) {
        return new ByteArrayInputStream(Arrays.copyOfRange(mem, (int) offset, (int) (offset + length)));
      }
      if (!flushed) {
        fileOut.flush(); // the reader gets what the writer wrote so far
        flushed = true;
      }
      InputStream in = Files.newInputStream(file);
      in.skipNBytes(offset);
      return new BoundedInputStream(in, length);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public InputStream open() throws IOException {
    lock.lock();
    try {
      if (!finished || closed) {
        throw new IllegalStateException(closed ? "message body was released" : "message body not complete");
      }
      return file != null ? Files.newInputStream(file) : new ByteArrayInputStream(mem, 0, (int) size);
    } finally {
      lock.unlock();
    }
  }

  /** Deletes the temp file, if any. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      mem = null;
      grown.signalAll();
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
    } finally {
      lock.unlock();
    }
  }
}
