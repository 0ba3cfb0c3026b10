package net.koukan.smtpclient;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import net.koukan.filter.BlobSource;
import net.koukan.smtpclient.SmtpClientConfig.Protocol;
import net.koukan.smtpclient.SmtpClientConfig.TlsMode;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP or LMTP session to one host, blocking on the calling (virtual) thread. Not
 * thread-safe; {@link #close} may be called from the owning thread at any time.
 *
 * <ol>
 *   <li>{@link #open}: TCP connect (with timeout), the greeting, EHLO (HELO when EHLO gets a 5xx;
 *       LHLO in LMTP mode), then STARTTLS when offered and allowed (TLS 1.2+) and EHLO again.
 *   <li>{@link #envelope}: MAIL, RCPTs and, for a DATA body, DATA: in one write when the peer
 *       offers PIPELINING (RFC 2920), the replies read afterwards in order; else one at a time.
 *   <li>{@link #body}: BDAT chunks when the peer offers CHUNKING (RFC 3030), one chunk ahead of
 *       its reply when it also pipelines; else DATA, dot-stuffed, streamed in 64 KiB blocks.
 *   <li>{@link #quit}: QUIT with a short deadline, then close.
 * </ol>
 *
 * <p>SMTP-level refusals are returned as {@link Reply}s; everything that ends the session
 * (connect failure, timeout, lost connection, malformed reply, TLS failure, unreadable body) is
 * an {@link SmtpClientException}, after which the connection is closed. Every reply has a
 * deadline (socket timeouts, re-armed while bytes trickle in); every write is guarded by a
 * watchdog that closes the socket when the peer stops reading.
 */
public final class SmtpClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SmtpClient.class);
  private static final int BLOCK = 64 * 1024;
  private static final byte[] CRLF = {'\r', '\n'};

  private enum State {
    /** Not yet opened. */
    NEW,
    /** Between transactions. */
    READY,
    /** MAIL accepted. */
    MAIL,
    /** DATA answered 354: the body must follow. */
    DATA,
    /** The connection failed and is closed. */
    BROKEN,
    CLOSED
  }

  /**
   * The replies of one {@link #envelope} call, each null when its command was not sent or its
   * reply not read; {@code failure} is set when the session broke on the way (the replies before
   * it are real).
   */
  public record EnvelopeReplies(Reply mail, List<Reply> rcpts, Reply data, SmtpClientException failure) {}

  private final SmtpClientConfig config;
  private final SmtpClientConfig.Timeouts timeouts;
  private final WriteGuard guard = new WriteGuard();
  private Socket raw;
  private Socket socket;
  private ReplyReader reader;
  private OutputStream out;
  private String host;
  private String peer = "(not connected)";
  private Reply greeting;
  private Capabilities caps = Capabilities.NONE;
  private boolean tls;
  private State state = State.NEW;
  /** Recipients accepted in the current transaction (in LMTP, the replies owed after the body). */
  private int accepted;

  public SmtpClient(SmtpClientConfig config) {
    this.config = config;
    this.timeouts = config.timeouts();
  }

  /** {@code host:port}, IPv6 literals in brackets. */
  public static String peer(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  public String peer() {
    return peer;
  }

  public Reply greeting() {
    return greeting;
  }

  /** What the peer offers (after STARTTLS: what it offered in the EHLO over TLS). */
  public Capabilities capabilities() {
    return caps;
  }

  /** Whether the session is encrypted (STARTTLS succeeded). */
  public boolean tls() {
    return tls;
  }

  /** Whether commands are pipelined: enabled and offered. */
  public boolean pipelining() {
    return config.pipelining() && caps.pipelining();
  }

  /** Whether the body goes with BDAT: enabled and offered. */
  public boolean chunking() {
    return config.chunking() && caps.chunking();
  }

  public SmtpClientConfig config() {
    return config;
  }

  // ------------------------------------------------------------------ session set-up

  /**
   * Connects and says hello. Returns null when the session is ready for MAIL, else the reply
   * that refused it (a non-2xx greeting, or the refusal of EHLO/HELO/LHLO); the caller should
   * then {@link #quit}.
   *
   * @throws SmtpClientException CONNECT when the TCP connection fails; TLS_UNAVAILABLE when
   *     {@code tls: verify} and the peer offers no STARTTLS; any kind when the session breaks
   */
  public Reply open(String host, int port) throws SmtpClientException {
    if (state != State.NEW) {
      throw new IllegalStateException("open() is called once per client");
    }
    this.host = host;
    this.peer = peer(host, port);
    state = State.BROKEN;
    InetSocketAddress addr = new InetSocketAddress(host, port);
    if (addr.isUnresolved()) {
      close();
      throw new SmtpClientException(SmtpClientException.Kind.CONNECT,
          "connection to " + peer + " failed: cannot resolve " + host);
    }
    Socket s = new Socket();
    raw = s;
    guard.socket(s);
    try {
      s.setTcpNoDelay(true);
      s.connect(addr, millis(timeouts.connect()));
      attach(s);
    } catch (IOException e) {
      close();
      if (Thread.currentThread().isInterrupted()) {
        throw new SmtpClientException(SmtpClientException.Kind.INTERRUPTED,
            "interrupted while connecting to " + peer, e);
      }
      String why = e instanceof SocketTimeoutException ? "timed out after " + show(timeouts.connect())
          : String.valueOf(e.getMessage());
      throw new SmtpClientException(SmtpClientException.Kind.CONNECT,
          "connection to " + peer + " failed: " + why, e);
    }
    state = State.READY;
    log.debug("{}: connected", peer);
    greeting = read("greeting", timeouts.greeting());
    if (!greeting.positive()) {
      return greeting;
    }
    Reply refused = hello();
    if (refused != null) {
      return refused;
    }
    if (config.tls() != TlsMode.NONE) {
      if (caps.startTls()) {
        return startTls(port);
      }
      if (config.tls() == TlsMode.VERIFY) {
        quit();
        throw new SmtpClientException(SmtpClientException.Kind.TLS_UNAVAILABLE,
            peer + " does not offer STARTTLS (tls: verify)");
      }
    }
    return null;
  }

  private void attach(Socket s) throws IOException {
    socket = s;
    reader = new ReplyReader(s);
    out = s.getOutputStream();
  }

  /** EHLO (HELO after a 5xx) or LHLO; null when accepted, else the refusal. */
  private Reply hello() throws SmtpClientException {
    boolean lmtp = config.protocol() == Protocol.LMTP;
    String verb = lmtp ? "LHLO" : "EHLO";
    Reply r = command(verb + " " + config.ehloHost(), verb, timeouts.command());
    if (r.positive()) {
      caps = Capabilities.parse(r);
      return null;
    }
    if (!lmtp && r.permanent()) {
      Reply h = command("HELO " + config.ehloHost(), "HELO", timeouts.command());
      if (h.positive()) {
        caps = Capabilities.NONE;
        return null;
      }
      return h;
    }
    return r;
  }

  private Reply startTls(int port) throws SmtpClientException {
    Reply r = command("STARTTLS", "STARTTLS", timeouts.command());
    if (r.code() != 220) {
      if (config.tls() == TlsMode.VERIFY) {
        quit();
        throw new SmtpClientException(SmtpClientException.Kind.TLS_UNAVAILABLE,
            peer + " refused STARTTLS (tls: verify): " + r);
      }
      log.info("{}: STARTTLS refused ({}); going on without TLS", peer, r);
      return null;
    }
    if (reader.buffered() > 0) {
      // Anything sent before the handshake would be taken as coming over TLS (CVE-2011-0411).
      abort();
      throw new SmtpClientException(SmtpClientException.Kind.PROTOCOL,
          peer + " sent data after its STARTTLS reply before the TLS handshake");
    }
    guard.arm(timeouts.command()); // bounds the whole handshake, however slow the peer
    try {
      SSLSocket ssl = (SSLSocket) config.sslContext().getSocketFactory()
          .createSocket(raw, host, port, true);
      ssl.setUseClientMode(true);
      SSLParameters p = ssl.getSSLParameters();
      p.setProtocols(Tls.protocols(ssl.getSupportedProtocols()));
      if (config.tls() == TlsMode.VERIFY) {
        p.setEndpointIdentificationAlgorithm("HTTPS");
      }
      ssl.setSSLParameters(p);
      ssl.setSoTimeout(millis(timeouts.command()));
      ssl.startHandshake();
      attach(ssl);
      log.debug("{}: TLS {} {}", peer, ssl.getSession().getProtocol(), ssl.getSession().getCipherSuite());
    } catch (IOException e) {
      throw failure("TLS handshake", e, timeouts.command(), false);
    } finally {
      guard.disarm();
    }
    tls = true;
    caps = Capabilities.NONE;
    return hello();
  }

  // ------------------------------------------------------------------ transaction

  /**
   * Sends MAIL (unless {@code mailFrom} is null: a transaction is already open), one RCPT per
   * recipient, and DATA when {@code data}, with the mailboxes' parameters as given. With
   * PIPELINING all of it is one write and the replies are read afterwards, in order; else one
   * command at a time, stopping after a failed MAIL, and DATA only once a recipient is accepted.
   * When a pipelined DATA gets 354 although no recipient was accepted, an empty message ends it
   * (RFC 2920 §3.1; in LMTP the session is closed instead).
   */
  public EnvelopeReplies envelope(Mailbox mailFrom, List<Mailbox> rcpts, boolean data) {
    if (mailFrom != null ? state != State.READY : state != State.MAIL) {
      throw new IllegalStateException("envelope() in state " + state);
    }
    Reply mail = null;
    Reply[] rr = new Reply[rcpts.size()];
    Reply d = null;
    try {
      if (pipelining()) {
        ByteArrayOutputStream group = new ByteArrayOutputStream();
        if (mailFrom != null) {
          line(group, mailLine(mailFrom));
        }
        for (Mailbox r : rcpts) {
          line(group, rcptLine(r));
        }
        if (data) {
          line(group, "DATA");
        }
        byte[] bytes = group.toByteArray();
        send(bytes, 0, bytes.length, "the pipelined commands", timeouts.command());
        if (mailFrom != null) {
          mail = read("MAIL", timeouts.command());
          if (mail.positive()) {
            state = State.MAIL;
            accepted = 0;
          }
        }
        for (int i = 0; i < rr.length; i++) {
          rr[i] = read("RCPT", timeouts.command());
          if (rr[i].positive() && state == State.MAIL) {
            accepted++;
          }
        }
        if (data) {
          d = read("DATA", timeouts.dataInit());
          if (d.code() == 354) {
            if (state == State.MAIL && accepted > 0) {
              state = State.DATA;
            } else if (config.protocol() == Protocol.LMTP) {
              abort(); // an LMTP server owes one reply per accepted recipient: none here
            } else {
              send(".\r\n".getBytes(StandardCharsets.US_ASCII), 0, 3, "end of data", timeouts.dataBlock());
              read("end of data", timeouts.dataEnd());
              state = State.READY;
            }
          }
        }
      } else {
        if (mailFrom != null) {
          mail = command(mailLine(mailFrom), "MAIL", timeouts.command());
          if (!mail.positive()) {
            return new EnvelopeReplies(mail, nullable(rr), null, null);
          }
          state = State.MAIL;
          accepted = 0;
        }
        for (int i = 0; i < rr.length; i++) {
          rr[i] = command(rcptLine(rcpts.get(i)), "RCPT", timeouts.command());
          if (rr[i].positive()) {
            accepted++;
          }
        }
        if (data && accepted > 0) {
          d = command("DATA", "DATA", timeouts.dataInit());
          if (d.code() == 354) {
            state = State.DATA;
          }
        }
      }
      return new EnvelopeReplies(mail, nullable(rr), d, null);
    } catch (SmtpClientException e) {
      return new EnvelopeReplies(mail, nullable(rr), d, e);
    }
  }

  private static List<Reply> nullable(Reply[] r) {
    return Collections.unmodifiableList(Arrays.asList(r));
  }

  /**
   * Sends the body of the open transaction (at least one recipient accepted): BDAT chunks when
   * {@link #chunking}, else DATA (sent now unless a pipelined DATA already got 354). Returns the
   * final reply, or a failed DATA/BDAT reply; in LMTP one reply per accepted recipient, in
   * recipient order (fewer if the session broke after the first).
   */
  public List<Reply> body(BlobSource blob) throws SmtpClientException {
    if (accepted == 0 || (state != State.MAIL && state != State.DATA)) {
      throw new IllegalStateException("body() needs an accepted recipient; state " + state);
    }
    if (state == State.MAIL && chunking()) {
      return bdat(blob);
    }
    if (state == State.MAIL) {
      Reply d = command("DATA", "DATA", timeouts.dataInit());
      if (d.code() != 354) {
        return List.of(d);
      }
      state = State.DATA;
    }
    sendData(blob);
    return finalReplies("end of data");
  }

  /**
   * The body with dot-stuffing: a '.' that starts a line is doubled. A line starts after LF, and
   * also after a bare CR, so that no peer, however it splits lines, can find an end of data inside
   * the body (SMTP smuggling). Bytes are sent as they are otherwise; a body that does not end
   * with CRLF gets one before the final dot.
   */
  private void sendData(BlobSource blob) throws SmtpClientException {
    long expected = blob.length();
    long seen = 0;
    byte[] in = new byte[BLOCK];
    byte[] o = new byte[2 * BLOCK];
    boolean lineStart = true;
    byte last = 0;
    byte beforeLast = 0;
    InputStream is = openBody(blob);
    try {
      while (true) {
        int n = readBody(is, in, 0, in.length);
        if (n < 0) {
          break;
        }
        int k = 0;
        for (int i = 0; i < n; i++) {
          byte b = in[i];
          if (lineStart && b == '.') {
            o[k++] = '.';
          }
          o[k++] = b;
          lineStart = b == '\n' || b == '\r';
          beforeLast = last;
          last = b;
        }
        seen += n;
        send(o, 0, k, "the message data", timeouts.dataBlock());
      }
    } finally {
      closeQuietly(is);
    }
    if (seen != expected) {
      abort();
      throw new SmtpClientException(SmtpClientException.Kind.BODY,
          "the message body has " + seen + " bytes, not the " + expected + " it announced");
    }
    byte[] end = (seen == 0 || (beforeLast == '\r' && last == '\n') ? ".\r\n" : "\r\n.\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    send(end, 0, end.length, "end of data", timeouts.dataBlock());
  }

  /**
   * BDAT (RFC 3030): chunks of {@code chunkSize} bytes, the last one {@code BDAT <n> LAST} (an
   * empty body is {@code BDAT 0 LAST}); with PIPELINING the next chunk goes out before the reply
   * to the previous one is read. After a refused chunk nothing more is sent and that refusal is
   * the answer.
   */
  private List<Reply> bdat(BlobSource blob) throws SmtpClientException {
    long total = blob.length();
    int chunk = config.chunkSize();
    int window = pipelining() ? 2 : 1;
    byte[] buf = new byte[(int) Math.max(1, Math.min(chunk, total))];
    ArrayDeque<Boolean> pending = new ArrayDeque<>(); // true: the LAST chunk
    Reply failed = null;
    long offset = 0;
    boolean lastSent = false;
    InputStream is = openBody(blob);
    try {
      while (!lastSent && failed == null) {
        int n = (int) Math.min(chunk, total - offset);
        boolean last = offset + n == total;
        int got = readFully(is, buf, n);
        if (got < n) {
          abort();
          throw new SmtpClientException(SmtpClientException.Kind.BODY, "the message body ended after "
              + (offset + got) + " bytes, not the " + total + " it announced");
        }
        if (last && readBody(is, new byte[1], 0, 1) >= 0) {
          abort();
          throw new SmtpClientException(SmtpClientException.Kind.BODY,
              "the message body is longer than the " + total + " bytes it announced");
        }
        byte[] head = ("BDAT " + n + (last ? " LAST" : "") + "\r\n").getBytes(StandardCharsets.US_ASCII);
        log.debug("{} > BDAT {}{}", peer, n, last ? " LAST" : "");
        guard.arm(timeouts.dataBlock());
        try {
          out.write(head);
          out.write(buf, 0, n);
          out.flush();
        } catch (IOException e) {
          throw failure("a BDAT chunk", e, timeouts.dataBlock(), true);
        } finally {
          guard.disarm();
        }
        offset += n;
        lastSent = last;
        pending.add(last);
        while (!pending.isEmpty() && !pending.peek() && (pending.size() >= window || lastSent)) {
          pending.poll();
          Reply r = read("BDAT", timeouts.dataBlock());
          if (!r.positive() && failed == null) {
            failed = r;
          }
        }
      }
    } finally {
      closeQuietly(is);
    }
    while (!pending.isEmpty()) {
      if (!pending.poll()) {
        Reply r = read("BDAT", timeouts.dataBlock());
        if (!r.positive() && failed == null) {
          failed = r;
        }
      } else if (failed == null) {
        return finalReplies("BDAT LAST");
      } else {
        abort(); // how many replies a LAST after a refused chunk gets is anyone's guess
        return List.of(failed);
      }
    }
    state = State.READY; // a refused chunk ends the transaction (RFC 3030 §2)
    accepted = 0;
    return List.of(failed);
  }

  /** The reply after the body: one in SMTP, one per accepted recipient in LMTP. */
  private List<Reply> finalReplies(String stage) throws SmtpClientException {
    int n = config.protocol() == Protocol.LMTP ? accepted : 1;
    List<Reply> replies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      try {
        replies.add(read(stage, timeouts.dataEnd()));
      } catch (SmtpClientException e) {
        if (replies.isEmpty()) {
          throw e;
        }
        log.warn("{}: LMTP reply {} of {} missing: {}", peer, i + 1, n, e.getMessage());
        return replies;
      }
    }
    state = State.READY;
    accepted = 0;
    return replies;
  }

  private InputStream openBody(BlobSource blob) throws SmtpClientException {
    try {
      return blob.open();
    } catch (IOException e) {
      abort();
      throw new SmtpClientException(SmtpClientException.Kind.BODY,
          "cannot read the message body: " + e.getMessage(), e);
    }
  }

  private int readBody(InputStream is, byte[] b, int off, int len) throws SmtpClientException {
    try {
      return is.read(b, off, len);
    } catch (IOException e) {
      abort();
      throw new SmtpClientException(SmtpClientException.Kind.BODY,
          "cannot read the message body: " + e.getMessage(), e);
    }
  }

  private int readFully(InputStream is, byte[] b, int n) throws SmtpClientException {
    int got = 0;
    while (got < n) {
      int r = readBody(is, b, got, n - got);
      if (r < 0) {
        break;
      }
      got += r;
    }
    return got;
  }

  // ------------------------------------------------------------------ reuse

  /** Whether the session is open and between transactions (it may carry another one). */
  public boolean ready() {
    return state == State.READY;
  }

  /**
   * RSET before a cached session carries another transaction: true when the peer answered 250
   * (the session is alive and reset), else the session is closed and false.
   */
  public boolean reset() {
    if (state != State.READY) {
      return false;
    }
    try {
      Reply r = command("RSET", "RSET", timeouts.command());
      if (r.code() == 250) {
        return true;
      }
      log.debug("{}: RSET answered {}", peer, r);
      quit();
    } catch (SmtpClientException e) {
      log.debug("{}: RSET: {}", peer, e.getMessage());
      close();
    }
    return false;
  }

  // ------------------------------------------------------------------ the end

  /**
   * Ends the session politely when it can: QUIT (at most {@link SmtpClientConfig.Timeouts#quit}
   * for the write and the reply), then close. A broken session, one in the middle of DATA, or an
   * interrupted thread is just closed.
   */
  public void quit() {
    if (state == State.READY || state == State.MAIL) {
      if (!Thread.currentThread().isInterrupted()) {
        try {
          command("QUIT", "QUIT", timeouts.quit());
        } catch (SmtpClientException e) {
          log.debug("{}: QUIT: {}", peer, e.getMessage());
        }
      }
    }
    close();
  }

  /** Closes the connection at once (no QUIT). Idempotent. */
  @Override
  public void close() {
    if (state != State.BROKEN) {
      state = State.CLOSED;
    }
    guard.close();
    closeQuietly(raw);
  }

  private void abort() {
    close();
    state = State.BROKEN;
  }

  // ------------------------------------------------------------------ wire

  static String mailLine(Mailbox m) {
    return check("MAIL FROM:<" + m.address() + ">" + params(m.params()));
  }

  static String rcptLine(Mailbox m) {
    return check("RCPT TO:<" + m.address() + ">" + params(m.params()));
  }

  private static String params(List<EsmtpParam> params) {
    StringBuilder b = new StringBuilder();
    for (EsmtpParam p : params) {
      b.append(' ').append(p.keyword());
      if (p.value() != null) {
        b.append('=').append(p.value());
      }
    }
    return b.toString();
  }

  /** Commands never carry line breaks or NULs (callers check addresses and parameters first). */
  private static String check(String line) {
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        throw new IllegalArgumentException("control character in an SMTP command");
      }
    }
    return line;
  }

  private void line(ByteArrayOutputStream group, String line) {
    log.debug("{} > {}", peer, line);
    group.writeBytes(line.getBytes(StandardCharsets.UTF_8));
    group.writeBytes(CRLF);
  }

  private Reply command(String line, String stage, Duration timeout) throws SmtpClientException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(line.length() + 2);
    line(b, line);
    byte[] bytes = b.toByteArray();
    send(bytes, 0, bytes.length, stage, timeout);
    return read(stage, timeout);
  }

  private void send(byte[] b, int off, int len, String what, Duration timeout) throws SmtpClientException {
    if (state == State.BROKEN || state == State.CLOSED) {
      throw new SmtpClientException(SmtpClientException.Kind.LOST, "connection to " + peer + " is closed");
    }
    guard.arm(timeout);
    try {
      out.write(b, off, len);
      out.flush();
    } catch (IOException e) {
      throw failure(what, e, timeout, true);
    } finally {
      guard.disarm();
    }
  }

  /** Reads one reply; only DATA may get a 3xx (354). */
  private Reply read(String stage, Duration timeout) throws SmtpClientException {
    if (state == State.BROKEN || state == State.CLOSED) {
      throw new SmtpClientException(SmtpClientException.Kind.LOST, "connection to " + peer + " is closed");
    }
    Reply r;
    try {
      r = reader.read(timeout.toNanos());
    } catch (IOException e) {
      throw failure(stage, e, timeout, false);
    }
    log.debug("{} < {}", peer, r);
    if (r.code() / 100 == 3 && !(stage.equals("DATA") && r.code() == 354)) {
      abort();
      throw new SmtpClientException(SmtpClientException.Kind.PROTOCOL,
          "unexpected " + stage + " reply from " + peer + ": " + r);
    }
    return r;
  }

  /** Closes the session and says what happened, in the words of {@link SmtpClientException}. */
  private SmtpClientException failure(String stage, IOException e, Duration timeout, boolean writing) {
    boolean timedOut = guard.fired() || e instanceof SocketTimeoutException;
    abort();
    if (e instanceof SmtpClientException s) {
      return s;
    }
    SmtpClientException.Kind kind;
    String message;
    if (Thread.currentThread().isInterrupted()
        || (e instanceof InterruptedIOException && !(e instanceof SocketTimeoutException))) {
      kind = SmtpClientException.Kind.INTERRUPTED;
      message = "interrupted during " + stage + " with " + peer;
    } else if (timedOut) {
      kind = SmtpClientException.Kind.TIMEOUT;
      message = "timeout after " + show(timeout) + (writing ? " sending " + stage + " to " + peer
          : " waiting for the " + stage + (stage.equals("greeting") ? "" : " reply") + " from " + peer);
    } else if (e instanceof ReplyReader.MalformedReplyException) {
      kind = SmtpClientException.Kind.PROTOCOL;
      message = "invalid " + stage + " reply from " + peer + ": " + e.getMessage();
    } else if (e instanceof SSLException) {
      kind = SmtpClientException.Kind.TLS;
      message = "TLS with " + peer + " failed during " + stage + ": " + e.getMessage();
    } else if (e instanceof EOFException) {
      kind = SmtpClientException.Kind.LOST;
      message = peer + " closed the connection during " + stage;
    } else {
      kind = SmtpClientException.Kind.LOST;
      message = "connection to " + peer + " lost during " + stage + ": " + e.getMessage();
    }
    return new SmtpClientException(kind, message, e);
  }

  static String show(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      // nothing to do
    }
  }
}
