package net.koukan.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 network in CIDR notation ({@code 127.0.0.0/8}, {@code ::1/128}, or a bare address). */
public record Cidr(byte[] network, int prefix) {

  public static boolean valid(String s) {
    try {
      parse(s);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  public static Cidr parse(String s) {
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    if (addr.isEmpty() || !addr.matches("[0-9A-Fa-f:.]+")) {
      throw new IllegalArgumentException("not an IP address: " + s);
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(addr).getAddress(); // literals only: no DNS for [0-9a-f:.]
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + s);
    }
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix: " + s);
      }
      if (prefix < 0 || prefix > bytes.length * 8) {
        throw new IllegalArgumentException("bad prefix: " + s);
      }
    }
    return new Cidr(bytes, prefix);
  }

  public boolean contains(InetAddress a) {
    byte[] b = a.getAddress();
    if (b.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (b[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (b[full] & mask) == (network[full] & mask);
  }
}
