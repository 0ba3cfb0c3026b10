package net.koukan.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mail transaction of one connection: MAIL, RCPT, DATA, BDAT (RFC 5321, 3030, 6152, 6531,
 * 1870). Checks sequence, syntax and limits, calls the {@link SmtpSession} for each step, spools
 * the content and hands the finished body to {@link SmtpSession#data}, then
 * {@link SmtpSession#reset}. BDAT chunks are always read to their announced length, whatever the
 * answer, so the connection never falls out of step.
 */
final class MailHandler {
  private static final Logger log = LoggerFactory.getLogger(MailHandler.class);
  private static final Pattern BDAT = Pattern.compile("([0-9]{1,18})(?: +(LAST))?", Pattern.CASE_INSENSITIVE);

  private final SmtpConnection conn;
  private final ListenerConfig cfg;
  /** session.mail() was called since the last session.reset(). */
  private boolean dirty;
  /** MAIL was accepted: a transaction is open. */
  private boolean active;
  private boolean smtputf8;
  private boolean binary;
  private int accepted;
  private Spool spool;
  private BdatDecoder bdat;

  MailHandler(SmtpConnection conn) {
    this.conn = conn;
    this.cfg = conn.cfg;
  }

  boolean inTransaction() {
    return active;
  }

  void mail(String arg) throws ReplyException {
    if (!conn.helloDone()) {
      throw new ReplyException(503, "5.5.1", "send EHLO/HELO first");
    }
    if (active) {
      throw new ReplyException(503, "5.5.1", "nested MAIL command");
    }
    Mailbox from = PathParser.parse(arg, PathParser.Role.SENDER);
    if (!from.params().isEmpty() && !conn.esmtp()) {
      throw new ReplyException(555, "5.5.4", "MAIL parameters need EHLO");
    }
    boolean utf8 = false;
    boolean bin = false;
    List<EsmtpParam> pass = new ArrayList<>();
    for (EsmtpParam p : from.params()) {
      switch (p.keyword()) {
        case "SIZE" -> {
          if (p.value() == null || !p.value().matches("[0-9]{1,18}")) {
            throw new ReplyException(501, "5.5.4", "syntax: SIZE=<octets>");
          }
          if (Long.parseLong(p.value()) > cfg.limits().maxMessageSize()) {
            conn.send(Reply.of(552, "5.3.4", "message size exceeds fixed maximum message size"));
            return;
          }
        }
        case "BODY" -> {
          String v = p.value() == null ? "" : p.value().toUpperCase(Locale.ROOT);
          if (!v.equals("7BIT") && !v.equals("8BITMIME") && !v.equals("BINARYMIME")) {
            throw new ReplyException(501, "5.5.4", "BODY must be 7BIT, 8BITMIME or BINARYMIME");
          }
          bin = v.equals("BINARYMIME");
          p = new EsmtpParam("BODY", v);
        }
        case "SMTPUTF8" -> {
          if (p.value() != null) {
            throw new ReplyException(501, "5.5.4", "SMTPUTF8 takes no value");
          }
          utf8 = true;
        }
        default -> { }
      }
      if (!p.keyword().equals("AUTH")) { // RFC 4954 AUTH=: tolerated, not passed on
        pass.add(p);
      }
    }
    if (!utf8 && !PathParser.ascii(from.address())) {
      throw new ReplyException(553, "5.6.7", "non-ASCII address needs MAIL ... SMTPUTF8");
    }
    if (dirty) {
      resetSession();
    }
    Mailbox m = new Mailbox(from.address(), pass);
    SmtpSession s = conn.session();
    SessionInfo info = conn.info();
    dirty = true;
    Response r = conn.callApp(cfg.timeouts().command(), () -> s.mail(info, m));
    if (r == null) {
      failed();
      return;
    }
    Reply reply = Reply.fromResponse(r, "1.0");
    conn.send(reply);
    if (reply.positive()) {
      active = true;
      smtputf8 = utf8;
      binary = bin;
      accepted = 0;
    }
  }

  void rcpt(String arg) throws ReplyException {
    if (!active) {
      throw new ReplyException(503, "5.5.1", "need MAIL command");
    }
    if (bdat != null) {
      throw new ReplyException(503, "5.5.1", "RCPT not allowed after BDAT");
    }
    Mailbox to = PathParser.parse(arg, PathParser.Role.RECIPIENT);
    if (!to.params().isEmpty() && !conn.esmtp()) {
      throw new ReplyException(555, "5.5.4", "RCPT parameters need EHLO");
    }
    if (!smtputf8 && !PathParser.ascii(to.address())) {
      throw new ReplyException(553, "5.6.7", "non-ASCII address needs MAIL ... SMTPUTF8");
    }
    if (accepted >= cfg.limits().maxRecipients()) {
      conn.send(Reply.of(452, "4.5.3", "too many recipients"));
      return;
    }
    SmtpSession s = conn.session();
    Response r = conn.callApp(cfg.timeouts().command(), () -> s.rcpt(to));
    if (r == null) {
      failed();
      return;
    }
    Reply reply = Reply.fromResponse(r, "1.5");
    conn.send(reply);
    if (reply.positive()) {
      accepted++;
    }
  }

  void data(String arg) throws ReplyException, IOException {
    SmtpConnection.noArgument(arg, "DATA");
    if (!active) {
      throw new ReplyException(503, "5.5.1", "need MAIL command");
    }
    if (bdat != null) {
      throw new ReplyException(503, "5.5.1", "DATA not allowed after BDAT");
    }
    if (binary) {
      throw new ReplyException(503, "5.5.1", "BODY=BINARYMIME needs BDAT");
    }
    if (accepted == 0) {
      throw new ReplyException(554, "5.5.1", "no valid recipients");
    }
    conn.send(Reply.plain(354, "end data with <CR><LF>.<CR><LF>"));
    conn.flush();
    spool = new Spool(cfg.limits().spoolMemory(), cfg.spoolDir());
    started(spool);
    Content content = new Content(cfg.limits().maxMessageSize(), spool);
    DataDecoder dec = new DataDecoder(cfg.bareLf(), cfg.limits().maxTextLine(), content);
    SmtpInput in = conn.input();
    try {
      while (!dec.done()) {
        if (in.buffered() == 0 && !in.fill(SmtpConnection.deadline(cfg.timeouts().dataBlock()))) {
          throw new EOFException("connection closed during DATA");
        }
        in.consume(dec.feed(in.array(), in.pos(), in.buffered()));
      }
    } catch (SocketTimeoutException e) {
      dataTimeout();
    }
    finish(content);
  }

  void bdat(String arg) throws ReplyException, IOException {
    Matcher m = BDAT.matcher(arg);
    if (!m.matches()) {
      // without a size we cannot find the next command: answer and close
      conn.send(Reply.of(501, "5.5.4", "syntax: BDAT <size> [LAST]; closing connection"));
      conn.closeAfterReply();
      return;
    }
    long size = Long.parseLong(m.group(1));
    boolean last = m.group(2) != null;
    Reply refuse = null;
    if (!cfg.chunking()) {
      refuse = Reply.of(502, "5.5.1", "BDAT not available here (no CHUNKING)");
    } else if (!conn.esmtp() || !active) {
      refuse = Reply.of(503, "5.5.1", active ? "BDAT needs EHLO" : "need MAIL command");
    } else if (accepted == 0) {
      refuse = Reply.of(554, "5.5.1", "no valid recipients");
    }
    if (refuse == null && bdat == null) {
      spool = new Spool(cfg.limits().spoolMemory(), cfg.spoolDir());
      started(spool);
      bdat = new BdatDecoder(cfg.bareLf(), binary, new Content(cfg.limits().maxMessageSize(), spool));
    }
    try {
      readChunk(size, refuse == null ? bdat : null);
    } catch (SocketTimeoutException e) {
      dataTimeout();
    }
    if (refuse != null) {
      if (refuse.code() == 554) {
        endTransaction();
      }
      conn.error(refuse);
      return;
    }
    Content content = bdat.content();
    if (last) {
      bdat.finish();
      finish(content);
    } else if (content.problem() != null) {
      finish(content);
    } else {
      conn.send(Reply.of(250, "2.0.0", size + " octets received"));
    }
  }

  /** Tells the session the message is on its way (it may stream it on). */
  private void started(Spool s) {
    try {
      conn.session().dataStarted(s);
    } catch (RuntimeException e) {
      log.warn("smtp#{}: session dataStarted failed", conn.id(), e);
    }
  }

  /** Reads exactly {@code size} bytes of a BDAT chunk into {@code dec}, or discards them. */
  private void readChunk(long size, BdatDecoder dec) throws IOException {
    SmtpInput in = conn.input();
    long left = size;
    while (left > 0) {
      if (in.buffered() == 0 && !in.fill(SmtpConnection.deadline(cfg.timeouts().dataBlock()))) {
        throw new EOFException("connection closed during BDAT");
      }
      int n = (int) Math.min(left, in.buffered());
      if (dec != null) {
        dec.feed(in.array(), in.pos(), n);
      }
      in.consume(n);
      left -= n;
    }
  }

  /** End of the content: refuse it for its problem, or give it to the application. */
  private void finish(Content content) throws IOException {
    Content.Problem p = content.problem();
    if (p != null) {
      log.info("smtp#{} message refused: {}", conn.id(), p);
      endTransaction();
      switch (p) {
        case BARE_LF -> conn.error(Reply.of(554, "5.5.2",
            "message refused: bare LF or bare CR in message data; lines must end with CRLF (SMTP smuggling protection)"));
        case TOO_BIG -> conn.send(Reply.of(552, "5.3.4", "message size exceeds fixed maximum message size"));
        case LINE_TOO_LONG -> conn.send(Reply.of(554, "5.6.0",
            "message refused: a line is longer than " + cfg.limits().maxTextLine() + " octets"));
        default -> throw new IllegalStateException();
      }
      return;
    }
    Spool body = spool;
    body.finish();
    SmtpSession s = conn.session();
    Response r = conn.callApp(cfg.timeouts().dataTermination(), () -> s.data(body));
    Reply reply = r == null ? Reply.of(451, "4.3.0", "internal error") : Reply.fromResponse(r, "0.0");
    endTransaction();
    conn.send(reply);
  }

  private void dataTimeout() {
    conn.send(Reply.of(421, "4.4.2", cfg.hostname() + " timeout reading message data, closing connection"));
    try {
      conn.flush();
    } catch (IOException e) {
      // closing anyway
    }
    throw new SmtpConnection.Abort("data timeout");
  }

  /** The session threw: 451, and the transaction is over. */
  private void failed() {
    endTransaction();
    conn.send(Reply.of(451, "4.3.0", "internal error"));
  }

  /**
   * Ends the transaction, if any (RSET, EHLO, STARTTLS, after data, on errors, at the end of the
   * connection): {@link SmtpSession#reset} when MAIL reached the session, and the spool is deleted.
   */
  void endTransaction() {
    if (dirty) {
      resetSession();
    }
    active = false;
    smtputf8 = false;
    binary = false;
    accepted = 0;
    bdat = null;
    if (spool != null) {
      Spool s = spool;
      spool = null;
      try {
        s.close();
      } catch (RuntimeException e) {
        log.warn("smtp#{}: {}", conn.id(), e.getMessage());
      }
    }
  }

  private void resetSession() {
    dirty = false;
    try {
      conn.session().reset();
    } catch (RuntimeException e) {
      log.warn("smtp#{}: session reset failed", conn.id(), e);
    }
  }
}
