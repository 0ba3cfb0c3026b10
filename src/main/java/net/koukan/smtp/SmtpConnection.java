package net.koukan.smtp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP connection on its own virtual thread: the PROXY header, implicit TLS, the greeting,
 * then the command loop with the connection-level commands (EHLO/HELO, STARTTLS, RSET, NOOP,
 * QUIT, VRFY, EXPN, HELP). MAIL/RCPT/DATA/BDAT belong to {@link MailHandler}, AUTH to
 * {@link AuthHandler}. Replies are buffered and flushed when the server would otherwise block on
 * input (RFC 2920), so pipelined commands are answered in order, in as few writes as possible.
 */
final class SmtpConnection implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SmtpConnection.class);
  private static final int INPUT_BUFFER = 32 * 1024;
  private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);
  private static final Set<String> NOT_IMPLEMENTED =
      Set.of("TURN", "ETRN", "ATRN", "SEND", "SOML", "SAML", "XCLIENT", "XFORWARD", "VERB", "ONEX", "LHLO");
  private static final Set<String> NON_SMTP = Set.of("GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS");

  /** Ends the connection without a further reply (one was sent, or the peer is gone). */
  static final class Abort extends RuntimeException {
    Abort(String why) {
      super(why, null, false, false);
    }
  }

  final ListenerConfig cfg;
  private final Socket raw;
  private final long id;
  private final Runnable onClose;
  private final SmtpInput input = new SmtpInput(INPUT_BUFFER, this::flush);
  private final ReplyWriter writer = new ReplyWriter();
  private final Watchdog watchdog = new Watchdog();
  private final CountDownLatch expired = new CountDownLatch(1);
  private final MailHandler mail;
  private final AuthHandler auth;
  private volatile Thread thread;
  private volatile Socket socket;
  private InetSocketAddress remote;
  private InetSocketAddress local;
  private String helo;
  private boolean esmtp;
  private boolean tls;
  private String authUser;
  private SmtpSession session;
  private int commands;
  private int errors;
  private boolean closing;

  SmtpConnection(ListenerConfig cfg, Socket raw, long id, Runnable onClose) {
    this.cfg = cfg;
    this.raw = raw;
    this.id = id;
    this.onClose = onClose;
    this.socket = raw;
    this.mail = new MailHandler(this);
    this.auth = new AuthHandler(this);
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    try {
      serve();
    } catch (Abort e) {
      log.debug("smtp#{} closed: {}", id, e.getMessage());
    } catch (IOException e) {
      log.debug("smtp#{} ended: {}", id, e.toString());
    } catch (RuntimeException e) {
      log.warn("smtp#{} failed", id, e);
    } finally {
      Thread.interrupted();
      try {
        mail.endTransaction();
      } catch (RuntimeException e) {
        log.warn("smtp#{} cleanup failed", id, e);
      }
      closeSocket();
      onClose.run();
    }
  }

  private void serve() throws IOException {
    raw.setTcpNoDelay(true);
    input.attach(raw, raw.getInputStream());
    writer.attach(raw.getOutputStream());
    remote = (InetSocketAddress) raw.getRemoteSocketAddress();
    local = (InetSocketAddress) raw.getLocalSocketAddress();
    if (cfg.proxyProtocol()) {
      ProxyHeader.Addresses a;
      try {
        a = ProxyHeader.read(input, deadline(cfg.timeouts().proxyHeader()));
      } catch (ProxyHeader.Malformed | SocketTimeoutException e) {
        log.info("smtp#{} from {}: bad or missing PROXY header ({}), closing", id, remote, e.getMessage());
        return;
      }
      if (a.remote() != null) {
        remote = a.remote();
        local = a.local();
      }
    }
    if (cfg.smtps()) {
      handshake(input.takeBuffered());
    }
    try {
      session = cfg.sessionFactory().open(info());
    } catch (RuntimeException e) {
      log.warn("smtp#{}: session factory failed", id, e);
    }
    if (session == null) {
      writer.send(Reply.of(421, "4.3.0", cfg.hostname() + " service not available, closing connection"));
      flush();
      return;
    }
    log.debug("smtp#{} from {} to {}", id, remote, local);
    send(Reply.plain(220, cfg.hostname() + " ESMTP koukan"));
    commandLoop();
    if (socket instanceof SSLSocket ssl) { // close_notify, bounded like any write
      watchdog.arm(Watchdog.Kind.IO, cfg.timeouts().command());
      try {
        ssl.close();
      } finally {
        watchdog.disarm();
      }
    }
  }

  private void commandLoop() throws IOException {
    while (!closing) {
      SmtpInput.Line line;
      try {
        line = input.readLine(SmtpLimits.MAX_AUTH_LINE, deadline(cfg.timeouts().idle()));
      } catch (SocketTimeoutException e) {
        send(Reply.of(421, "4.4.2", cfg.hostname() + " idle timeout, closing connection"));
        break;
      }
      if (line == null) {
        return;
      }
      if (++commands > cfg.limits().maxCommands()) {
        send(Reply.of(421, "4.7.0", cfg.hostname() + " too many commands, closing connection"));
        break;
      }
      try {
        handle(line);
      } catch (ReplyException e) {
        error(e.reply());
      }
    }
    flush();
  }

  private void handle(SmtpInput.Line line) throws ReplyException, IOException {
    if (line.tooLong()) {
      throw new ReplyException(500, "5.5.2", "line too long");
    }
    if (!line.crlf() && cfg.bareLf() == BareLfPolicy.REJECT) {
      throw new ReplyException(500, "5.5.2", "command line must end with CRLF, not a bare LF");
    }
    String text = decode(line.bytes());
    int sp = text.indexOf(' ');
    String verb = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
    String arg = sp < 0 ? "" : text.substring(sp + 1).stripTrailing();
    if (!verb.equals("AUTH") && line.bytes().length + 2 > cfg.limits().maxCommandLine()) {
      throw new ReplyException(500, "5.5.2", "line too long");
    }
    switch (verb) {
      case "EHLO" -> helo(arg, true);
      case "HELO" -> helo(arg, false);
      case "MAIL" -> mail.mail(arg);
      case "RCPT" -> mail.rcpt(arg);
      case "DATA" -> mail.data(arg);
      case "BDAT" -> mail.bdat(arg);
      case "RSET" -> {
        noArgument(arg, "RSET");
        mail.endTransaction();
        send(Reply.of(250, "2.0.0", "ok"));
      }
      case "NOOP" -> send(Reply.of(250, "2.0.0", "ok"));
      case "QUIT" -> {
        send(Reply.of(221, "2.0.0", cfg.hostname() + " closing connection"));
        closing = true;
      }
      case "VRFY" -> {
        if (arg.isEmpty()) {
          throw new ReplyException(501, "5.5.4", "syntax: VRFY address");
        }
        send(Reply.of(252, "2.5.0", "cannot VRFY user, but will accept message and attempt delivery"));
      }
      case "EXPN" -> throw new ReplyException(502, "5.5.1", "EXPN not supported");
      case "HELP" -> send(Reply.of(214, "2.0.0",
          "koukan: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH; see RFC 5321"));
      case "STARTTLS" -> startTls(arg);
      case "AUTH" -> auth.auth(arg);
      default -> {
        if (NON_SMTP.contains(verb) || verb.endsWith(":")) {
          log.info("smtp#{} from {}: non-SMTP command {}, closing", id, remote, verb.length() > 20 ? verb.substring(0, 20) : verb);
          send(Reply.of(421, "4.7.0", cfg.hostname() + " non-SMTP command, closing connection"));
          closing = true;
        } else if (NOT_IMPLEMENTED.contains(verb)) {
          throw new ReplyException(502, "5.5.1", "command not implemented");
        } else {
          throw new ReplyException(500, "5.5.2", "command not recognized");
        }
      }
    }
  }

  /** Command line bytes to text: no control characters (a bare CR included), valid UTF-8. */
  private static String decode(byte[] b) throws ReplyException {
    for (byte c : b) {
      if (c == '\r') {
        throw new ReplyException(500, "5.5.2", "bare CR in command line");
      }
      if (c >= 0 && c < 0x20 || c == 0x7f) {
        throw new ReplyException(500, "5.5.2", "control character in command line");
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw new ReplyException(500, "5.5.2", "invalid UTF-8 in command line");
    }
  }

  static void noArgument(String arg, String verb) throws ReplyException {
    if (!arg.isEmpty()) {
      throw new ReplyException(501, "5.5.4", "syntax: " + verb);
    }
  }

  private void helo(String arg, boolean ehlo) throws ReplyException {
    if (arg.isEmpty() || arg.indexOf(' ') >= 0 || !PathParser.ascii(arg)) {
      throw new ReplyException(501, "5.5.4", "syntax: " + (ehlo ? "EHLO" : "HELO") + " hostname");
    }
    mail.endTransaction();
    helo = arg;
    esmtp = ehlo;
    if (!ehlo) {
      send(Reply.plain(250, cfg.hostname()));
      return;
    }
    List<String> lines = new ArrayList<>(List.of(cfg.hostname(), "PIPELINING",
        "SIZE " + cfg.limits().maxMessageSize(), "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"));
    if (cfg.chunking()) {
      lines.add("CHUNKING");
    }
    if (cfg.tls() != null && !tls) {
      lines.add("STARTTLS");
    }
    if (cfg.auth() != null && tls) {
      lines.add("AUTH PLAIN LOGIN");
    }
    send(new Reply(250, lines));
  }

  /**
   * STARTTLS (RFC 3207). Whatever the client sent after the command, before the handshake, is
   * plaintext it could not have meant to be encrypted (the "STARTTLS command injection" attack):
   * it is thrown away, never executed. Afterwards the session starts over: EHLO again, no AUTH.
   */
  private void startTls(String arg) throws ReplyException, IOException {
    if (cfg.tls() == null) {
      throw new ReplyException(502, "5.5.1", "STARTTLS not available");
    }
    if (tls) {
      throw new ReplyException(503, "5.5.1", "TLS already active");
    }
    noArgument(arg, "STARTTLS");
    if (mail.inTransaction()) {
      throw new ReplyException(503, "5.5.1", "STARTTLS not allowed during a mail transaction");
    }
    send(Reply.of(220, "2.0.0", "ready to start TLS"));
    flush();
    byte[] injected = input.takeBuffered();
    if (injected.length > 0) {
      log.warn("smtp#{} from {}: discarded {} plaintext bytes pipelined after STARTTLS", id, remote, injected.length);
    }
    handshake(new byte[0]);
    helo = null;
    esmtp = false;
    authUser = null;
  }

  private void handshake(byte[] consumed) throws IOException {
    SSLSocketFactory f = cfg.tls().getSocketFactory();
    SSLSocket ssl = consumed.length > 0
        ? (SSLSocket) f.createSocket(raw, new ByteArrayInputStream(consumed), true)
        : (SSLSocket) f.createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
    ssl.setUseClientMode(false);
    Tls.restrictProtocols(ssl);
    socket = ssl;
    watchdog.arm(Watchdog.Kind.IO, cfg.timeouts().command());
    try {
      ssl.setSoTimeout(millis(cfg.timeouts().command()));
      ssl.startHandshake();
    } catch (IOException e) {
      throw new Abort("TLS handshake failed: " + e.getMessage());
    } finally {
      if (watchdog.disarm()) {
        throw new Abort("TLS handshake timeout");
      }
    }
    input.attach(ssl, ssl.getInputStream());
    writer.attach(ssl.getOutputStream());
    tls = true;
    log.debug("smtp#{} TLS {} {}", id, ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
  }

  // ---- shared with the handlers ----

  SmtpInput input() {
    return input;
  }

  SmtpSession session() {
    return session;
  }

  boolean helloDone() {
    return helo != null;
  }

  boolean esmtp() {
    return esmtp;
  }

  boolean tls() {
    return tls;
  }

  String authUser() {
    return authUser;
  }

  void authenticated(String user) {
    authUser = user;
  }

  boolean inTransaction() {
    return mail.inTransaction();
  }

  long id() {
    return id;
  }

  SessionInfo info() {
    return new SessionInfo(remote, local, helo, esmtp, tls, authUser);
  }

  /** Stops the command loop after the current command. */
  void closeAfterReply() {
    closing = true;
  }

  void send(Reply r) {
    writer.send(r);
    if (writer.pending() > 65536) {
      try {
        flush();
      } catch (IOException e) {
        throw new Abort("write failed: " + e.getMessage());
      }
    }
  }

  /** Sends a protocol error and counts it; too many end the connection with 421. */
  void error(Reply r) {
    send(r);
    if (++errors >= cfg.limits().maxErrors()) {
      send(Reply.of(421, "4.7.0", cfg.hostname() + " too many errors, closing connection"));
      closing = true;
    }
  }

  /** Writes buffered replies; a peer that does not read for the command timeout is dropped. */
  void flush() throws IOException {
    if (writer.pending() == 0) {
      return;
    }
    watchdog.arm(Watchdog.Kind.IO, cfg.timeouts().command());
    try {
      writer.flush();
    } finally {
      if (watchdog.disarm()) {
        throw new Abort("write timeout");
      }
    }
  }

  /**
   * Calls the application with a deadline. Returns its response, or null when it threw (the
   * caller answers 451 and resets). Past the deadline the client gets {@code 421 4.4.2}, the
   * connection is closed, the thread interrupted, and this throws {@link Abort}.
   */
  Response callApp(Duration timeout, Supplier<Response> call) {
    watchdog.arm(Watchdog.Kind.APP, timeout);
    Response r = null;
    try {
      r = call.get();
      if (r == null) {
        log.warn("smtp#{}: session returned no response", id);
      }
    } catch (RuntimeException e) {
      log.warn("smtp#{}: session failed", id, e);
    } finally {
      if (watchdog.disarm()) {
        awaitExpiry();
        throw new Abort("application timeout");
      }
    }
    return r;
  }

  private void awaitExpiry() {
    while (true) {
      Thread.interrupted();
      try {
        expired.await(GRACE_NANOS * 2, TimeUnit.NANOSECONDS);
        Thread.interrupted();
        return;
      } catch (InterruptedException e) {
        // the expiry interrupts us once; wait for it to finish
      }
    }
  }

  static long deadline(Duration d) {
    return System.nanoTime() + d.toNanos();
  }

  static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  // ---- called by the server ----

  /** The sweeper's check: ends the connection when its watchdog fired. */
  void sweep(long now) {
    Watchdog.Kind k = watchdog.poll(now);
    if (k != null) {
      Thread.ofVirtual().name("smtp-expire-" + id).start(() -> {
        try {
          if (k == Watchdog.Kind.APP) {
            writer.sendNow(Reply.of(421, "4.4.2", cfg.hostname() + " timeout, closing connection"), 1000);
          }
          closeSocket(); // unblocks a stuck write or handshake
          Thread t = thread;
          if (k == Watchdog.Kind.APP && t != null) {
            t.interrupt(); // unblocks the application; callApp waits for this before going on
          }
        } finally {
          expired.countDown();
        }
      });
    } else if (watchdog.overdue(now, GRACE_NANOS)) {
      closeSocket();
    }
  }

  /** Server shutdown: closes the socket and interrupts the thread; cleanup runs on the thread. */
  void abort() {
    closeSocket();
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  Thread thread() {
    return thread;
  }

  private void closeSocket() {
    try {
      raw.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }
}
