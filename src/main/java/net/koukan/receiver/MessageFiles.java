package net.koukan.receiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The receiver's directory. A body is written to {@code <id>.msg.part}; when complete it is
 * fsync'd, the envelope is written to {@code <id>.tx.json} (temp file, fsync, rename), the body
 * is renamed to {@code <id>.msg} and the directory fsync'd. So an {@code <id>.msg} is always
 * whole and durable, and its {@code .tx.json} is already there.
 */
final class MessageFiles {
  private final Path dir;

  MessageFiles(Path dir) {
    this.dir = dir;
  }

  Path part(String id) {
    return dir.resolve(id + ".msg.part");
  }

  Path message(String id) {
    return dir.resolve(id + ".msg");
  }

  Path envelope(String id) {
    return dir.resolve(id + ".tx.json");
  }

  FileChannel openPart(String id) throws IOException {
    return FileChannel.open(part(id), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** Makes the message durable under its final name; {@code part} is closed. */
  void commit(String id, FileChannel part, byte[] envelopeJson) throws IOException {
    try (part) {
      part.force(true);
    }
    Path tmp = dir.resolve(id + ".tx.json.tmp");
    try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(envelopeJson);
      while (b.hasRemaining()) {
        c.write(b);
      }
      c.force(true);
    }
    Files.move(tmp, envelope(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    Files.move(part(id), message(id), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir();
  }

  /** Closes and deletes a partial body (cancel, GC, failure). */
  void discard(String id, FileChannel part) {
    try {
      if (part != null) {
        part.close();
      }
      Files.deleteIfExists(part(id));
    } catch (IOException e) {
      // nothing more to do: the next start-up's operator sees a stray .part file
    }
  }

  private void syncDir() throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some file systems cannot open or fsync a directory; the renames are still atomic
      if (!(e instanceof java.nio.file.AccessDeniedException)) {
        throw e;
      }
    }
  }
}
