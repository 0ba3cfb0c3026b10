package net.koukan.drop;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * {@link DropQueue} on a local folder. A lease is written into the file's name in
 * {@code processing/}: {@code <name>#<owner>#<expiry epoch ms>}. Claiming is one rename of the
 * source path: of two consumers renaming the same path, exactly one succeeds (the other gets
 * "no such file"), whether the source is {@code cur/<name>} or an expired
 * {@code processing/<name>#...}. Finishing renames the leased path (gone: the lease was taken).
 */
public final class MaildirQueue implements DropQueue {
  private static final char SEP = '#';
  private final Path dir;
  private final Clock clock;

  public MaildirQueue(Path dir, Clock clock) {
    this.dir = dir.toAbsolutePath();
    this.clock = clock;
  }

  private Path folder(Folder f) throws IOException {
    Path p = dir.resolve(f.dir());
    Files.createDirectories(p);
    return p;
  }

  @Override
  public Page list(Folder folder, String marker, int limit) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(folder(folder))) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    List<Entry> out = new ArrayList<>();
    String last = null;
    for (Path p : files) {
      String file = p.getFileName().toString();
      String n = folder == Folder.PROCESSING && file.indexOf(SEP) > 0 ? file.substring(0, file.indexOf(SEP)) : file;
      if (marker != null && n.compareTo(marker) <= 0) {
        continue;
      }
      if (out.size() == limit) {
        return new Page(out, last);
      }
      FileTime t;
      long size;
      try {
        t = Files.getLastModifiedTime(p);
        size = Files.size(p);
      } catch (NoSuchFileException e) {
        continue; // claimed or finished by another consumer since the listing
      }
      out.add(new Entry(folder, n, size, t.toInstant().toString()));
      last = n;
    }
    return new Page(out, null);
  }

  @Override
  public Optional<Claim> claim(Folder from, String name, Duration lease) throws IOException {
    SwiftQueue.checkName(name);
    if (name.indexOf(SEP) >= 0) {
      throw new IllegalArgumentException("not a message name: '" + name + "'");
    }
    String owner = UUID.randomUUID().toString();
    Instant expires = clock.instant().plus(lease);
    Path target = folder(Folder.PROCESSING).resolve(leased(name, owner, expires));
    Path source;
    switch (from) {
      case CUR, RETRY -> source = folder(from).resolve(name);
      case PROCESSING -> {
        source = currentLease(name);
        if (source == null || expiry(source).isAfter(clock.instant())) {
          return Optional.empty();
        }
      }
      default -> throw new IllegalArgumentException("claim from cur, retry or processing, not " + from.dir());
    }
    if (!move(source, target)) {
      return Optional.empty();
    }
    return Optional.of(new Claim(name, owner, expires, target.getFileName().toString()));
  }

  private static String leased(String name, String owner, Instant expires) {
    return name + SEP + owner + SEP + expires.toEpochMilli();
  }

  private Path currentLease(String name) throws IOException {
    try (Stream<Path> s = Files.list(folder(Folder.PROCESSING))) {
      return s.filter(p -> p.getFileName().toString().startsWith(name + SEP)).findFirst().orElse(null);
    }
  }

  private static Instant expiry(Path leased) {
    String f = leased.getFileName().toString();
    try {
      return Instant.ofEpochMilli(Long.parseLong(f.substring(f.lastIndexOf(SEP) + 1)));
    } catch (NumberFormatException e) {
      return Instant.EPOCH;
    }
  }

  /** Atomic rename that never replaces; false when the source is gone (someone else won). */
  private static boolean move(Path source, Path target) throws IOException {
    try {
      Files.createLink(target, source);
    } catch (NoSuchFileException e) {
      return false;
    } catch (FileAlreadyExistsException e) {
      throw new IOException(target + " already exists", e);
    }
    try {
      Files.delete(source);
    } catch (NoSuchFileException e) {
      // another consumer moved the source between our link and our delete: it is theirs
      Files.deleteIfExists(target);
      return false;
    }
    fsyncDir(target.getParent());
    fsyncDir(source.getParent());
    return true;
  }

  @Override
  public Claim resume(String claimId) {
    return Claim.parse(claimId, id -> id);
  }

  @Override
  public InputStream open(Claim claim) throws IOException {
    return Files.newInputStream(dir.resolve(Folder.PROCESSING.dir()).resolve(claim.handle()));
  }

  @Override
  public Claim renew(Claim claim, Duration lease) throws IOException {
    Instant expires = clock.instant().plus(lease);
    Path from = folder(Folder.PROCESSING).resolve(claim.handle());
    Path to = from.resolveSibling(leased(claim.name(), claim.owner(), expires));
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      throw new LeaseLostException("lease on " + claim.name() + " was taken by another consumer");
    }
    return new Claim(claim.name(), claim.owner(), expires, to.getFileName().toString());
  }

  @Override
  public void finish(Claim claim, Folder to) throws IOException {
    if (to != Folder.DONE && to != Folder.FAILED && to != Folder.RETRY) {
      throw new IllegalArgumentException("finish into done, failed or retry, not " + to.dir());
    }
    Path from = folder(Folder.PROCESSING).resolve(claim.handle());
    Path target = folder(to).resolve(claim.name());
    Files.deleteIfExists(target); // a copy left by a crash during an earlier finish
    if (!move(from, target)) {
      throw new LeaseLostException("lease on " + claim.name() + " was taken by another consumer");
    }
  }

  static void fsyncDir(Path d) throws IOException {
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
