package net.koukan.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AUTH PLAIN (RFC 4616) and LOGIN against the listener's {@link AuthSecrets}, only over TLS
 * (RFC 4954). PLAIN takes an initial response or answers a {@code 334} continuation; LOGIN asks
 * for the user and the password. A "*" cancels ({@code 501 5.7.0}); wrong credentials get
 * {@code 535 5.7.8} after the configured delay and count as an error; a proxy authorization
 * identity other than the user is refused like wrong credentials.
 */
final class AuthHandler {
  private static final Logger log = LoggerFactory.getLogger(AuthHandler.class);
  private static final String USERNAME = "VXNlcm5hbWU6"; // "Username:"
  private static final String PASSWORD = "UGFzc3dvcmQ6"; // "Password:"

  private final SmtpConnection conn;
  private final ListenerConfig cfg;

  AuthHandler(SmtpConnection conn) {
    this.conn = conn;
    this.cfg = conn.cfg;
  }

  void auth(String arg) throws ReplyException, IOException {
    if (cfg.auth() == null) {
      throw new ReplyException(502, "5.5.1", "AUTH not available");
    }
    if (!conn.tls()) {
      throw new ReplyException(538, "5.7.11", "encryption required for requested authentication mechanism");
    }
    if (!conn.esmtp()) {
      throw new ReplyException(503, "5.5.1", "send EHLO first");
    }
    if (conn.authUser() != null) {
      throw new ReplyException(503, "5.5.1", "already authenticated");
    }
    if (conn.inTransaction()) {
      throw new ReplyException(503, "5.5.1", "AUTH not allowed during a mail transaction");
    }
    String[] parts = arg.split(" ", -1);
    if (arg.isEmpty() || parts.length > 2) {
      throw new ReplyException(501, "5.5.4", "syntax: AUTH mechanism [initial-response]");
    }
    String mech = parts[0].toUpperCase(Locale.ROOT);
    String initial = parts.length == 2 ? parts[1] : null;
    String user;
    String secret;
    switch (mech) {
      case "PLAIN" -> {
        String resp = initial != null ? initial : ask("");
        byte[] b = decode(resp);
        String[] f = new String(b, StandardCharsets.UTF_8).split("\0", -1);
        if (f.length != 3) {
          throw new ReplyException(501, "5.5.2", "malformed PLAIN response");
        }
        user = f[1];
        secret = f[2];
        if (!f[0].isEmpty() && !f[0].equals(user)) {
          reject(user, "authorization identity differs");
          return;
        }
      }
      case "LOGIN" -> {
        user = new String(decode(initial != null ? initial : ask(USERNAME)), StandardCharsets.UTF_8);
        secret = new String(decode(ask(PASSWORD)), StandardCharsets.UTF_8);
      }
      default -> throw new ReplyException(504, "5.5.4", "unrecognized authentication mechanism");
    }
    if (cfg.auth().verify(user, secret)) {
      conn.authenticated(user);
      log.info("smtp#{} authenticated as {}", conn.id(), user);
      conn.send(Reply.of(235, "2.7.0", "authentication successful"));
    } else {
      reject(user, "wrong credentials");
    }
  }

  private void reject(String user, String why) throws ReplyException {
    log.info("smtp#{} AUTH failed for {}: {}", conn.id(), printable(user), why);
    try {
      Thread.sleep(cfg.timeouts().authFailureDelay());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SmtpConnection.Abort("interrupted");
    }
    throw new ReplyException(535, "5.7.8", "authentication credentials invalid");
  }

  /** Sends a 334 challenge and reads the client's line; "*" cancels. */
  private String ask(String challenge) throws ReplyException, IOException {
    conn.send(Reply.plain(334, challenge));
    SmtpInput.Line line;
    try {
      line = conn.input().readLine(SmtpLimits.MAX_AUTH_LINE, SmtpConnection.deadline(cfg.timeouts().idle()));
    } catch (SocketTimeoutException e) {
      conn.send(Reply.of(421, "4.4.2", cfg.hostname() + " idle timeout, closing connection"));
      conn.flush();
      throw new SmtpConnection.Abort("idle timeout in AUTH");
    }
    if (line == null) {
      throw new EOFException("connection closed during AUTH");
    }
    if (line.tooLong()) {
      throw new ReplyException(500, "5.5.2", "line too long");
    }
    String s = new String(line.bytes(), StandardCharsets.US_ASCII);
    if (s.equals("*")) {
      throw new ReplyException(501, "5.7.0", "authentication cancelled");
    }
    return s;
  }

  private static byte[] decode(String b64) throws ReplyException {
    if (b64.equals("=")) {
      return new byte[0];
    }
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new ReplyException(501, "5.5.2", "invalid base64");
    }
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 64; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c != 0x7f ? c : '?');
    }
    return sb.toString();
  }
}
