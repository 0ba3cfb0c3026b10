package net.koukan.delivery;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Required;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * Terminal output that delivers into Maildirs: {@code <path>/<local-part>/new/} per recipient.
 * Each copy is written to {@code tmp/}, fsync'd, renamed into {@code new/}, and the directory is
 * fsync'd, before the recipient's success is reported. Recipients outside {@code domains} get a
 * temporary failure (they stay queued and are retried); local parts are lower-cased, and with a
 * {@code delimiter} the extension is dropped ({@code bob+x} → {@code bob}).
 */
public final class MaildirOutput implements Filter {

  /** YAML options of {@code filter: maildir}. */
  public record Options(@Required String path, List<String> domains, @Default("") String delimiter,
      @Default("true") boolean lfLineEndings) {}

  /** {@code filter: maildir}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final String hostname;

    public Factory(Clock clock, String hostname) {
      this.clock = clock;
      this.hostname = hostname;
    }

    @Override
    public String name() {
      return "maildir";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.path().isBlank()) {
        throw stanza.error("path", "must not be empty");
      }
      List<String> domains = o.domains() == null ? List.of()
          : o.domains().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList();
      Options normalized = new Options(o.path(), domains, o.delimiter(), o.lfLineEndings());
      return () -> new MaildirOutput(normalized, clock, hostname);
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private final Options options;
  private final Clock clock;
  private final String hostname;
  private final List<Integer> accepted = new ArrayList<>();

  MaildirOutput(Options options, Clock clock, String hostname) {
    this.options = options;
    this.clock = clock;
    this.hostname = hostname.replace("/", "\\057").replace(":", "\\072");
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom()) {
      tx.mailResponse(new Response(250, "2.1.0 ok"));
    }
    for (int i : delta.rcpts()) {
      Mailbox r = tx.rcptTo().get(i);
      String folder = folder(r);
      if (folder == null) {
        tx.rcptResponse(i, new Response(550, "5.1.3 maildir: not a deliverable local address"));
      } else if (!options.domains().isEmpty()
          && !options.domains().contains(r.domain().toLowerCase(Locale.ROOT))) {
        tx.rcptResponse(i, new Response(451, "4.4.0 maildir: no route for domain " + r.domain()));
      } else {
        tx.rcptResponse(i, new Response(250, "2.1.5 ok"));
        accepted.add(i);
      }
    }
    if (delta.body()) {
      deliver(tx);
    }
  }

  private void deliver(FilterTx tx) {
    if (!(tx.body() instanceof Body.Raw raw)) {
      tx.dataResponse(new Response(554,
          "5.6.0 maildir: a message_builder body needs the message_builder filter before maildir"));
      return;
    }
    List<String> names = new ArrayList<>();
    for (int i : accepted) {
      Mailbox r = tx.rcptTo().get(i);
      try {
        names.add(store(Path.of(options.path()).resolve(folder(r)), tx.mailFrom(), r, raw));
      } catch (IOException e) {
        tx.dataResponse(new Response(451, "4.3.0 maildir: cannot store the message: " + e.getMessage()));
        return;
      }
    }
    tx.dataResponse(new Response(250, "2.0.0 delivered to maildir " + String.join(" ", names)));
  }

  /** The recipient's folder name, or null if the local part cannot be a safe directory name. */
  String folder(Mailbox r) {
    String a = r.address();
    int at = a.lastIndexOf('@');
    String local = (at < 0 ? a : a.substring(0, at)).toLowerCase(Locale.ROOT);
    if (!options.delimiter().isEmpty()) {
      int d = local.indexOf(options.delimiter());
      if (d > 0) {
        local = local.substring(0, d);
      }
    }
    if (local.isEmpty() || local.length() > 200 || local.startsWith(".")) {
      return null;
    }
    for (int i = 0; i < local.length(); i++) {
      char c = local.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_' || c == '+')) {
        return null;
      }
    }
    return local;
  }

  private String store(Path maildir, Mailbox from, Mailbox rcpt, Body.Raw raw) throws IOException {
    Path tmpDir = maildir.resolve("tmp");
    Path newDir = maildir.resolve("new");
    Files.createDirectories(tmpDir);
    Files.createDirectories(newDir);
    Files.createDirectories(maildir.resolve("cur"));
    long now = clock.millis();
    byte[] rnd = new byte[6];
    RANDOM.nextBytes(rnd);
    String name = (now / 1000) + ".M" + ((now % 1000) * 1000) + "P" + ProcessHandle.current().pid()
        + "R" + HexFormat.of().formatHex(rnd) + "." + hostname;
    Path tmp = tmpDir.resolve(name);
    String eol = options.lfLineEndings() ? "\n" : "\r\n";
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 64 * 1024);
      out.write(("Return-Path: <" + from.address() + ">" + eol).getBytes(StandardCharsets.UTF_8));
      out.write(("Delivered-To: " + rcpt.address() + eol).getBytes(StandardCharsets.UTF_8));
      try (InputStream in = raw.blob().open()) {
        if (options.lfLineEndings()) {
          copyCrlfToLf(in, out);
        } else {
          in.transferTo(out);
        }
      }
      out.flush();
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Path dest = newDir.resolve(name);
    try {
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    fsyncDir(newDir);
    return name;
  }

  /** Maildir files conventionally use LF: CRLF becomes LF, lone CR and LF are kept as they are. */
  static void copyCrlfToLf(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[64 * 1024];
    boolean pendingCr = false;
    int n;
    while ((n = in.read(buf)) > 0) {
      for (int i = 0; i < n; i++) {
        byte b = buf[i];
        if (pendingCr) {
          pendingCr = false;
          if (b == '\n') {
            out.write('\n');
            continue;
          }
          out.write('\r');
        }
        if (b == '\r') {
          pendingCr = true;
        } else {
          out.write(b);
        }
      }
    }
    if (pendingCr) {
      out.write('\r');
    }
  }

  private static void fsyncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
