package net.koukan.drop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import net.koukan.filter.BlobSource;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local folder with the same contract as a Swift container: {@code tmp/<name>} is written and
 * fsync'd, then hard-linked to {@code cur/<name>} (a link never replaces an existing file: a
 * clash gets a new name) and the directory fsync'd, before the message counts as stored. The
 * receipt is {@code envelope/<name>.json}, written (and fsync'd) first.
 */
public final class MaildirDestination implements Destination {
  private static final Logger log = LoggerFactory.getLogger(MaildirDestination.class);
  private final String name;
  private final Path dir;
  private final ObjectNames names;
  private final Clock clock;

  public MaildirDestination(String name, Path dir, ObjectNames names, Clock clock) {
    this.name = name;
    this.dir = dir.toAbsolutePath();
    this.names = names;
    this.clock = clock;
  }

  @Override
  public String name() {
    return name;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public String describe() {
    return "folder " + dir;
  }

  @Override
  public StoreResult store(Receipt receipt, BlobSource content, Instant deadline) {
    try {
      for (String sub : new String[] {"tmp", "cur", "envelope"}) {
        Files.createDirectories(dir.resolve(sub));
      }
      for (int attempt = 0; attempt < 5; attempt++) {
        String base = names.next(receipt.receivedAt(), content.length());
        Path tmp = dir.resolve("tmp").resolve(base);
        Path cur = dir.resolve("cur").resolve(base);
        Path env = dir.resolve("envelope").resolve(base + ".json");
        if (Files.exists(cur)) {
          continue;
        }
        writeSynced(env, out -> out.write(receipt.json("cur/" + base)));
        writeSynced(tmp, out -> {
          try (InputStream in = content.open()) {
            in.transferTo(out);
          }
        });
        try {
          Files.createLink(cur, tmp);
        } catch (FileAlreadyExistsException e) {
          Files.deleteIfExists(tmp);
          continue;
        } finally {
          Files.deleteIfExists(tmp);
        }
        MaildirQueue.fsyncDir(dir.resolve("cur"));
        log.info("stored {}/cur/{} ({} bytes, sha256 {})", dir, base, content.length(), receipt.sha256());
        return new StoreResult.Stored(name, "cur/" + base);
      }
      return new StoreResult.Failed(name, new Response(451, "4.3.0 could not find a free name"), "5 clashes");
    } catch (IOException e) {
      log.error("{}: cannot store: {}", describe(), e.toString());
      return new StoreResult.Failed(name, new Response(451, "4.3.0 cannot store the message, please try again later"),
          e.toString());
    }
  }

  interface Writer {
    void write(OutputStream out) throws IOException;
  }

  static void writeSynced(Path file, Writer w) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024);
      w.write(out);
      out.flush();
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  @Override
  public void discard(String objectName) {
    try {
      Files.deleteIfExists(dir.resolve(objectName));
    } catch (IOException e) {
      log.warn("{}: could not delete {} again: {}", describe(), objectName, e.toString());
    }
  }

  @Override
  public String check() {
    try {
      Files.createDirectories(dir.resolve("cur"));
      return Files.isWritable(dir.resolve("cur")) ? null : "section " + name + ": folder " + dir + " is not writable";
    } catch (IOException e) {
      return "section " + name + ": folder " + dir + ": " + e;
    }
  }

  @Override
  public DropQueue queue() {
    return new MaildirQueue(dir, clock);
  }
}
