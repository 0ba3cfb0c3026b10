package net.koukan.mime;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import net.koukan.filter.BlobSource;

/**
 * An output that stays in memory up to a limit and continues in a temporary file beyond it, so
 * that a rendered message of any size costs at most {@code memoryLimit} bytes of heap. After
 * {@link #finish} the bytes are readable as a {@link BlobSource} as often as needed; {@link
 * #discard} deletes the file (if there is one). Not thread-safe.
 */
public final class SpillBuffer extends OutputStream {
  private final int memoryLimit;
  private final Path dir;
  private byte[] mem = new byte[8192];
  private int memLength;
  private Path file;
  private OutputStream fileOut;
  private long length;
  private boolean finished;

  /**
   * @param memoryLimit bytes kept in memory before spilling to a file
   * @param dir where the temporary file goes; null for {@code java.io.tmpdir}
   */
  public SpillBuffer(int memoryLimit, Path dir) {
    if (memoryLimit < 0) {
      throw new IllegalArgumentException("memoryLimit < 0");
    }
    this.memoryLimit = memoryLimit;
    this.dir = dir;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (finished) {
      throw new IOException("SpillBuffer already finished");
    }
    if (fileOut == null && memLength + len > memoryLimit) {
      file = dir == null ? Files.createTempFile("koukan-mime-", ".msg")
          : Files.createTempFile(dir, "koukan-mime-", ".msg");
      fileOut = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
      fileOut.write(mem, 0, memLength);
      mem = null;
    }
    if (fileOut != null) {
      fileOut.write(b, off, len);
    } else {
      if (memLength + len > mem.length) {
        mem = Arrays.copyOf(mem, Math.max(mem.length * 2, memLength + len));
      }
      System.arraycopy(b, off, mem, memLength, len);
      memLength += len;
    }
    length += len;
  }

  /** Whether the content went to a temporary file. */
  public boolean spilled() {
    return file != null;
  }

  public long length() {
    return length;
  }

  /** Ends writing and returns the content. */
  public BlobSource finish() throws IOException {
    if (!finished) {
      finished = true;
      if (fileOut != null) {
        fileOut.close();
      }
    }
    final long len = length;
    if (file == null) {
      final byte[] bytes = mem;
      final int n = memLength;
      return new BlobSource() {
        @Override
        public long length() {
          return len;
        }

        @Override
        public InputStream open() {
          return new ByteArrayInputStream(bytes, 0, n);
        }
      };
    }
    final Path f = file;
    return new BlobSource() {
      @Override
      public long length() {
        return len;
      }

      @Override
      public InputStream open() throws IOException {
        return Files.newInputStream(f);
      }
    };
  }

  /** Same as {@link #finish} without a result; the content stays until {@link #discard}. */
  @Override
  public void close() throws IOException {
    finish();
  }

  /** Deletes the temporary file, if any; the content is gone afterwards. */
  public void discard() {
    finished = true;
    try {
      if (fileOut != null) {
        fileOut.close();
      }
    } catch (IOException e) {
      // deleting anyway
    }
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        // nothing else to do: the temporary directory is cleaned by the system
      }
    }
    mem = null;
  }
}
