package net.koukan.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** PROXY protocol v1/v2 parsing over an in-memory stream; what follows the header stays buffered. */
class ProxyHeaderTest {

  static SmtpInput input(byte[] b) {
    SmtpInput in = new SmtpInput(4096, null);
    in.attach(new Socket(), new ByteArrayInputStream(b));
    return in;
  }

  static ProxyHeader.Addresses parse(byte[] b) throws IOException {
    return ProxyHeader.read(input(b), System.nanoTime() + 1_000_000_000L);
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static byte[] v2(int verCmd, int fam, byte[] addr) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    o.writeBytes(ProxyHeader.V2_SIGNATURE);
    o.write(verCmd);
    o.write(fam);
    o.write(addr.length >> 8);
    o.write(addr.length);
    o.writeBytes(addr);
    return o.toByteArray();
  }

  @Test
  void v1Tcp4() throws IOException {
    SmtpInput in = input(ascii("PROXY TCP4 192.0.2.10 198.51.100.1 56324 25\r\nEHLO x\r\n"));
    ProxyHeader.Addresses a = ProxyHeader.read(in, System.nanoTime() + 1_000_000_000L);
    assertThat(a.remote()).isEqualTo(new InetSocketAddress("192.0.2.10", 56324));
    assertThat(a.local()).isEqualTo(new InetSocketAddress("198.51.100.1", 25));
    assertThat(new String(in.takeBuffered(), StandardCharsets.US_ASCII)).isEqualTo("EHLO x\r\n");
  }

  @Test
  void v1Tcp6AndUnknown() throws IOException {
    ProxyHeader.Addresses a = parse(ascii("PROXY TCP6 2001:db8::1 2001:db8::2 1000 587\r\n"));
    assertThat(a.remote()).isEqualTo(new InetSocketAddress("2001:db8::1", 1000));
    assertThat(a.local().getPort()).isEqualTo(587);
    assertThat(parse(ascii("PROXY UNKNOWN\r\n")).remote()).isNull();
    assertThat(parse(ascii("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")).remote()).isNull();
  }

  @Test
  void v1Malformed() {
    for (String bad : new String[] {"PROXY TCP4 192.0.2.10 198.51.100.1 56324\r\n", "PROXY TCP4 192.0.2.300 1.1.1.1 1 2\r\n",
        "PROXY TCP4 example.com 1.1.1.1 1 2\r\n", "PROXY TCP4 1.1.1.1 1.1.1.1 1 65536\r\n", "PROXY TCP9 1.1.1.1 1.1.1.1 1 2\r\n",
        "PROXY TCP4 1.1.1.1 1.1.1.1 1 2\n", "PROXY TCP4 " + "1".repeat(120) + "\r\n", "EHLO x\r\n",
        "PROXY TCP6 1.1.1.1 1.1.1.1 1 2\r\n"}) {
      assertThatThrownBy(() -> parse(ascii(bad))).as(bad).isInstanceOf(ProxyHeader.Malformed.class);
    }
    assertThatThrownBy(() -> parse(ascii("PROXY TCP4 1.1.1.1"))).isInstanceOf(EOFException.class);
  }

  @Test
  void v2Tcp4WithTlvsAndTrailingData() throws IOException {
    byte[] addr = {(byte) 192, 0, 2, 10, (byte) 198, 51, 100, 1, (byte) 0xdc, 0x04, 0, 25,
        0x04, 0, 2, 'a', 'b'}; // + a NOOP TLV
    byte[] hdr = v2(0x21, 0x11, addr);
    byte[] all = new byte[hdr.length + 4];
    System.arraycopy(hdr, 0, all, 0, hdr.length);
    System.arraycopy(ascii("QUIT"), 0, all, hdr.length, 4);
    SmtpInput in = input(all);
    ProxyHeader.Addresses a = ProxyHeader.read(in, System.nanoTime() + 1_000_000_000L);
    assertThat(a.remote()).isEqualTo(new InetSocketAddress("192.0.2.10", 56324));
    assertThat(a.local()).isEqualTo(new InetSocketAddress("198.51.100.1", 25));
    assertThat(new String(in.takeBuffered(), StandardCharsets.US_ASCII)).isEqualTo("QUIT");
  }

  @Test
  void v2Tcp6LocalAndUnspec() throws IOException {
    byte[] addr = new byte[36];
    addr[0] = 0x20;
    addr[1] = 0x01;
    addr[15] = 1;
    addr[16] = 0x20;
    addr[17] = 0x01;
    addr[31] = 2;
    addr[32] = 0x03;
    addr[33] = (byte) 0xe8;
    addr[35] = 25;
    ProxyHeader.Addresses a = parse(v2(0x21, 0x21, addr));
    assertThat(a.remote()).isEqualTo(new InetSocketAddress("2001::1", 1000));
    assertThat(a.local()).isEqualTo(new InetSocketAddress("2001::2", 25));
    assertThat(parse(v2(0x20, 0x11, new byte[12])).remote()).isNull(); // LOCAL (health check)
    assertThat(parse(v2(0x21, 0x00, new byte[0])).remote()).isNull();
  }

  @Test
  void v2Malformed() {
    assertThatThrownBy(() -> parse(v2(0x11, 0x11, new byte[12]))).isInstanceOf(ProxyHeader.Malformed.class);
    assertThatThrownBy(() -> parse(v2(0x22, 0x11, new byte[12]))).isInstanceOf(ProxyHeader.Malformed.class);
    assertThatThrownBy(() -> parse(v2(0x21, 0x11, new byte[8]))).isInstanceOf(ProxyHeader.Malformed.class);
    assertThatThrownBy(() -> parse(v2(0x21, 0x12, new byte[12]))).isInstanceOf(ProxyHeader.Malformed.class);
    byte[] bad = v2(0x21, 0x11, new byte[12]);
    bad[3] = 'X';
    assertThatThrownBy(() -> parse(bad)).isInstanceOf(ProxyHeader.Malformed.class);
    byte[] truncated = java.util.Arrays.copyOf(v2(0x21, 0x11, new byte[12]), 20);
    assertThatThrownBy(() -> parse(truncated)).isInstanceOf(EOFException.class);
  }
}
