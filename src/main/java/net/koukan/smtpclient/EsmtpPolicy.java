package net.koukan.smtpclient;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What of MAIL and RCPT may go to a peer, decided from its capabilities before anything is sent
 * (spec §6.3, with these choices):
 *
 * <ul>
 *   <li>Addresses with control characters or angle brackets: 501 5.1.7 (MAIL) / 501 5.1.3 (RCPT);
 *       malformed or repeated parameters: 501 5.5.4. Nothing with a line break reaches the wire.
 *   <li>{@code SIZE}: dropped when the peer does not offer SIZE; else sent with the body's real
 *       length when known (else the declared value), and refused with 552 5.3.4 when above the
 *       peer's limit.
 *   <li>{@code BODY=8BITMIME} needs 8BITMIME, {@code BODY=BINARYMIME} needs BINARYMIME and BDAT:
 *       else 554 5.6.3 (no downconversion). {@code BODY=7BIT} is dropped for a peer without
 *       8BITMIME (it is the default).
 *   <li>SMTPUTF8: a non-ASCII sender or the {@code SMTPUTF8} parameter needs the peer's SMTPUTF8,
 *       else 553 5.6.7; a non-ASCII recipient likewise (553 5.6.7 for that recipient only, also
 *       when MAIL went without SMTPUTF8). When the peer offers it, MAIL carries SMTPUTF8 as soon as
 *       any address known at MAIL time is non-ASCII.
 *   <li>DSN parameters ({@code RET}, {@code ENVID}, {@code NOTIFY}, {@code ORCPT}) and {@code
 *       AUTH} are dropped, with a log line, for a peer that does not offer DSN / AUTH: delivery
 *       matters more than the notification request.
 *   <li>Any other parameter goes only to a peer that advertises an extension of the same name;
 *       else 555 5.5.4 (RFC 5321 §4.1.1.11; the reference answers 504): dropping an unknown
 *       parameter (e.g. REQUIRETLS, MT-PRIORITY) could silently break its promise.
 * </ul>
 */
final class EsmtpPolicy {
  private static final Logger log = LoggerFactory.getLogger(EsmtpPolicy.class);
  static final String PREFIX = "smtp_output: ";

  /** Either what to send or the local answer. */
  record Decision(Mailbox send, Response refusal) {
    static Decision ok(Mailbox m) {
      return new Decision(m, null);
    }

    static Decision refuse(int code, String text) {
      return new Decision(null, new Response(code, Reply.sanitize(text)));
    }
  }

  private EsmtpPolicy() {}

  /**
   * @param bodySize the body's length when already known, else -1
   * @param nonAsciiRcpt whether a recipient known at MAIL time is non-ASCII (adds SMTPUTF8)
   * @param bdat whether the body will go with BDAT
   */
  static Decision mail(Mailbox from, Capabilities caps, String peer, long bodySize,
      boolean nonAsciiRcpt, boolean bdat) {
    String addr = from.address();
    if (!addressOk(addr)) {
      return Decision.refuse(501, "5.1.7 " + PREFIX + "invalid sender address");
    }
    List<EsmtpParam> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    boolean utf8Required = nonAscii(addr);
    Long declared = null;
    for (EsmtpParam p : from.params()) {
      String kw = p.keyword().toUpperCase(Locale.ROOT);
      if (!Capabilities.keyword(kw) || !seen.add(kw) || !valueOk(p.value())) {
        return Decision.refuse(501, "5.5.4 " + PREFIX + "invalid MAIL parameter " + kw);
      }
      switch (kw) {
        case "SIZE" -> {
          if (p.value() == null || !digits(p.value())) {
            return Decision.refuse(501, "5.5.4 " + PREFIX + "invalid MAIL parameter SIZE");
          }
          declared = Long.parseLong(p.value());
        }
        case "BODY" -> {
          String v = p.value() == null ? "" : p.value().toUpperCase(Locale.ROOT);
          switch (v) {
            case "7BIT" -> {
              if (caps.eightBitMime()) {
                out.add(new EsmtpParam("BODY", "7BIT"));
              }
            }
            case "8BITMIME" -> {
              if (!caps.eightBitMime()) {
                return Decision.refuse(554, "5.6.3 " + PREFIX + peer
                    + " does not support 8BITMIME (BODY=8BITMIME); not downconverting");
              }
              out.add(new EsmtpParam("BODY", "8BITMIME"));
            }
            case "BINARYMIME" -> {
              if (!caps.binaryMime() || !bdat) {
                return Decision.refuse(554, "5.6.3 " + PREFIX + peer
                    + " does not support BINARYMIME with BDAT (BODY=BINARYMIME)");
              }
              out.add(new EsmtpParam("BODY", "BINARYMIME"));
            }
            default -> {
              return Decision.refuse(501, "5.5.4 " + PREFIX + "invalid MAIL parameter BODY");
            }
          }
        }
        case "SMTPUTF8" -> {
          if (p.value() != null) {
            return Decision.refuse(501, "5.5.4 " + PREFIX + "invalid MAIL parameter SMTPUTF8");
          }
          utf8Required = true;
        }
        case "RET", "ENVID" -> keepOrDrop(out, p, caps.dsn(), "DSN", peer);
        case "AUTH" -> keepOrDrop(out, p, caps.has("AUTH"), "AUTH", peer);
        default -> {
          if (!caps.has(kw)) {
            return Decision.refuse(555, "5.5.4 " + PREFIX + peer
                + " does not support the MAIL parameter " + kw);
          }
          out.add(p);
        }
      }
    }
    if (utf8Required && !caps.smtpUtf8()) {
      return Decision.refuse(553, "5.6.7 " + PREFIX + peer + " does not support SMTPUTF8");
    }
    if ((utf8Required || nonAsciiRcpt) && caps.smtpUtf8()) {
      out.add(new EsmtpParam("SMTPUTF8", null));
    }
    long size = bodySize >= 0 ? bodySize : declared != null ? declared : -1;
    long limit = caps.sizeLimit();
    if (limit > 0 && size > limit) {
      return Decision.refuse(552, "5.3.4 " + PREFIX + "message size " + size
          + " exceeds the limit of " + peer + " (" + limit + ")");
    }
    if (limit >= 0 && size >= 0) {
      out.addFirst(new EsmtpParam("SIZE", Long.toString(size)));
    }
    return Decision.ok(new Mailbox(addr, out));
  }

  /** @param mailSmtpUtf8 whether the transaction's MAIL carried SMTPUTF8 */
  static Decision rcpt(Mailbox rcpt, Capabilities caps, String peer, boolean mailSmtpUtf8) {
    String addr = rcpt.address();
    if (addr.isEmpty() || !addressOk(addr)) {
      return Decision.refuse(501, "5.1.3 " + PREFIX + "invalid recipient address");
    }
    List<EsmtpParam> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (EsmtpParam p : rcpt.params()) {
      String kw = p.keyword().toUpperCase(Locale.ROOT);
      if (!Capabilities.keyword(kw) || !seen.add(kw) || !valueOk(p.value())) {
        return Decision.refuse(501, "5.5.4 " + PREFIX + "invalid RCPT parameter " + kw);
      }
      switch (kw) {
        case "NOTIFY", "ORCPT" -> keepOrDrop(out, p, caps.dsn(), "DSN", peer);
        default -> {
          if (!caps.has(kw)) {
            return Decision.refuse(555, "5.5.4 " + PREFIX + peer
                + " does not support the RCPT parameter " + kw);
          }
          out.add(p);
        }
      }
    }
    if (nonAscii(addr)) {
      if (!caps.smtpUtf8()) {
        return Decision.refuse(553, "5.6.7 " + PREFIX + peer + " does not support SMTPUTF8");
      }
      if (!mailSmtpUtf8) {
        return Decision.refuse(553, "5.6.7 " + PREFIX
            + "non-ASCII recipient in a transaction started without SMTPUTF8");
      }
    }
    return Decision.ok(new Mailbox(addr, out));
  }

  /** The body against the peer's SIZE limit, or null when it fits. */
  static Response bodySize(Capabilities caps, String peer, long size) {
    long limit = caps.sizeLimit();
    if (limit > 0 && size > limit) {
      return new Response(552, Reply.sanitize("5.3.4 " + PREFIX + "message size " + size
          + " exceeds the limit of " + peer + " (" + limit + ")"));
    }
    return null;
  }

  private static void keepOrDrop(List<EsmtpParam> out, EsmtpParam p, boolean offered,
      String extension, String peer) {
    if (offered) {
      out.add(p);
    } else {
      log.info("{}: dropping the parameter {}: the peer does not offer {}", peer,
          p.keyword().toUpperCase(Locale.ROOT), extension);
    }
  }

  static boolean nonAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return true;
      }
    }
    return false;
  }

  /** No control characters, no angle brackets: nothing that could end or split the command. */
  static boolean addressOk(String a) {
    if (a.length() > 1000) {
      return false;
    }
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '<' || c == '>') {
        return false;
      }
    }
    return true;
  }

  /** RFC 5321 esmtp-value: printable, no SP, no '=' (UTF-8 allowed, RFC 6531). */
  static boolean valueOk(String v) {
    if (v == null) {
      return true;
    }
    if (v.isEmpty() || v.length() > 500) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= 0x20 || c == '=' || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        return false;
      }
    }
    return true;
  }

  private static boolean digits(String v) {
    return !v.isEmpty() && v.length() <= 18 && v.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}
