package net.koukan.smtp;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The HAProxy PROXY protocol header (v1 text and v2 binary), read before anything else when a
 * listener has it enabled. It tells the real client and server addresses; a LOCAL (v2) or UNKNOWN
 * (v1) header, or an address family other than TCP over IPv4/IPv6, keeps the socket's addresses.
 * Anything malformed is a {@link Malformed}; the connection is then closed without a reply.
 */
final class ProxyHeader {
  /** The addresses a header carries; null when the socket's own are to be used. */
  record Addresses(InetSocketAddress remote, InetSocketAddress local) {}

  /** A header that is not PROXY protocol v1 or v2. */
  static final class Malformed extends IOException {
    Malformed(String msg) {
      super(msg);
    }
  }

  static final byte[] V2_SIGNATURE = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  private static final int V1_MAX = 107;

  private ProxyHeader() {}

  /** Reads and consumes one header from {@code in}; null addresses mean "use the socket's". */
  static Addresses read(SmtpInput in, long deadlineNanos) throws IOException {
    if (!in.ensure(1, deadlineNanos)) {
      throw new EOFException("closed before the PROXY header");
    }
    byte first = in.array()[in.pos()];
    if (first == 'P') {
      return v1(in, deadlineNanos);
    }
    if (first == 0x0d) {
      return v2(in, deadlineNanos);
    }
    throw new Malformed("no PROXY header");
  }

  private static Addresses v1(SmtpInput in, long deadline) throws IOException {
    SmtpInput.Line line = in.readLine(V1_MAX, deadline);
    if (line == null) {
      throw new EOFException("closed before the PROXY header");
    }
    if (line.tooLong() || !line.crlf()) {
      throw new Malformed("PROXY v1 line too long or not ended by CRLF");
    }
    String s = new String(line.bytes(), StandardCharsets.US_ASCII);
    String[] f = s.split(" ", -1);
    if (f.length < 2 || !f[0].equals("PROXY")) {
      throw new Malformed("not a PROXY v1 line");
    }
    if (f[1].equals("UNKNOWN")) {
      return new Addresses(null, null);
    }
    if (f.length != 6 || !(f[1].equals("TCP4") || f[1].equals("TCP6"))) {
      throw new Malformed("bad PROXY v1 line");
    }
    boolean v4 = f[1].equals("TCP4");
    InetAddress src = literal(f[2], v4);
    InetAddress dst = literal(f[3], v4);
    return new Addresses(new InetSocketAddress(src, port(f[4])), new InetSocketAddress(dst, port(f[5])));
  }

  private static InetAddress literal(String s, boolean v4) throws Malformed {
    boolean ok = v4 ? PathParser.ipv4(s) : PathParser.ipv6(s);
    if (!ok) {
      throw new Malformed("bad address in PROXY header: " + s);
    }
    try {
      if (v4) {
        byte[] a = new byte[4];
        String[] parts = s.split("\\.");
        for (int i = 0; i < 4; i++) {
          a[i] = (byte) Integer.parseInt(parts[i]);
        }
        return InetAddress.getByAddress(a);
      }
      return InetAddress.getByName("[" + s + "]"); // bracketed: parsed as a literal, never looked up
    } catch (UnknownHostException e) {
      throw new Malformed("bad address in PROXY header: " + s);
    }
  }

  private static int port(String s) throws Malformed {
    if (s.isEmpty() || s.length() > 5 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new Malformed("bad port in PROXY header: " + s);
    }
    int p = Integer.parseInt(s);
    if (p > 65535) {
      throw new Malformed("bad port in PROXY header: " + s);
    }
    return p;
  }

  private static Addresses v2(SmtpInput in, long deadline) throws IOException {
    if (!in.ensure(16, deadline)) {
      throw new EOFException("closed within the PROXY header");
    }
    byte[] b = in.array();
    int p = in.pos();
    if (!Arrays.equals(b, p, p + 12, V2_SIGNATURE, 0, 12)) {
      throw new Malformed("bad PROXY v2 signature");
    }
    int verCmd = b[p + 12] & 0xff;
    int fam = b[p + 13] & 0xff;
    int len = ((b[p + 14] & 0xff) << 8) | (b[p + 15] & 0xff);
    if (verCmd >> 4 != 2 || (verCmd & 0xf) > 1) {
      throw new Malformed("bad PROXY v2 version/command " + Integer.toHexString(verCmd));
    }
    if (16 + len > in.array().length) {
      throw new Malformed("PROXY v2 header too long: " + len);
    }
    if (!in.ensure(16 + len, deadline)) {
      throw new EOFException("closed within the PROXY header");
    }
    b = in.array();
    p = in.pos();
    Addresses out;
    boolean local = (verCmd & 0xf) == 0;
    if (local || fam == 0x00 || fam == 0x31 || fam == 0x32) {
      out = new Addresses(null, null);
    } else if (fam == 0x11) {
      if (len < 12) {
        throw new Malformed("PROXY v2 TCP4 block too short");
      }
      out = new Addresses(
          new InetSocketAddress(inet(b, p + 16, 4), u16(b, p + 24)),
          new InetSocketAddress(inet(b, p + 20, 4), u16(b, p + 26)));
    } else if (fam == 0x21) {
      if (len < 36) {
        throw new Malformed("PROXY v2 TCP6 block too short");
      }
      out = new Addresses(
          new InetSocketAddress(inet(b, p + 16, 16), u16(b, p + 48)),
          new InetSocketAddress(inet(b, p + 32, 16), u16(b, p + 50)));
    } else {
      throw new Malformed("unsupported PROXY v2 family 0x" + Integer.toHexString(fam));
    }
    in.consume(16 + len);
    return out;
  }

  private static InetAddress inet(byte[] b, int off, int n) throws Malformed {
    try {
      return InetAddress.getByAddress(Arrays.copyOfRange(b, off, off + n));
    } catch (UnknownHostException e) {
      throw new Malformed("bad address in PROXY v2 header");
    }
  }

  private static int u16(byte[] b, int off) {
    return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
  }
}
