package net.koukan.tx;

import java.util.List;
import java.util.Objects;

/** An RFC 5321 mailbox without angle brackets; the null reverse-path is the empty string. */
public record Mailbox(String address, List<EsmtpParam> params) {
  public Mailbox {
    Objects.requireNonNull(address, "address");
    params = List.copyOf(params);
  }

  public static Mailbox of(String address) {
    return new Mailbox(address, List.of());
  }

  /** The part after the last '@', or "" for addresses without one. */
  public String domain() {
    int at = address.lastIndexOf('@');
    return at < 0 ? "" : address.substring(at + 1);
  }
}
