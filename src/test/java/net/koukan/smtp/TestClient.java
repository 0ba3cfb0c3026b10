package net.koukan.smtp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A raw SMTP client for tests: sends exact bytes, parses (multiline) replies. */
final class TestClient implements AutoCloseable {
  /** A reply as received. */
  record Got(int code, List<String> lines) {
    String text() {
      return String.join("\n", lines);
    }

    String last() {
      return lines.get(lines.size() - 1);
    }

    @Override
    public String toString() {
      return code + " " + String.join(" / ", lines);
    }
  }

  private Socket socket;
  private InputStream in;
  private OutputStream out;

  TestClient(Socket s) throws IOException {
    attach(s);
  }

  static TestClient connect(int port) throws IOException {
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    return new TestClient(s);
  }

  /** Connects and reads the 220 greeting. */
  static TestClient open(int port) throws IOException {
    TestClient c = connect(port);
    Got g = c.read();
    if (g.code() != 220) {
      throw new IOException("greeting: " + g);
    }
    return c;
  }

  private void attach(Socket s) throws IOException {
    socket = s;
    in = new BufferedInputStream(s.getInputStream());
    out = s.getOutputStream();
  }

  Socket socket() {
    return socket;
  }

  void setTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
  }

  void send(String s) throws IOException {
    send(s.getBytes(StandardCharsets.UTF_8));
  }

  void send(byte[] b) throws IOException {
    out.write(b);
    out.flush();
  }

  /** Sends a command line (CRLF added) and reads the reply. */
  Got cmd(String line) throws IOException {
    send(line + "\r\n");
    return read();
  }

  /** Reads one reply; throws at end of stream. */
  Got read() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String l = readLine();
      if (l == null) {
        throw new IOException("connection closed; got so far " + lines);
      }
      if (l.length() < 4 || !(l.charAt(3) == ' ' || l.charAt(3) == '-')) {
        throw new IOException("malformed reply line: " + l);
      }
      lines.add(l.substring(4));
      if (l.charAt(3) == ' ') {
        return new Got(Integer.parseInt(l.substring(0, 3)), lines);
      }
    }
  }

  /** Reads n replies. */
  List<Got> read(int n) throws IOException {
    List<Got> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(read());
    }
    return out;
  }

  /** A CRLF-terminated line without the CRLF, or null at end of stream. */
  private String readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        byte[] a = b.toByteArray();
        int n = a.length > 0 && a[a.length - 1] == '\r' ? a.length - 1 : a.length;
        return new String(a, 0, n, StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /** True when the server closes the connection (end of stream or reset) within the timeout. */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  /** Whatever arrives until the server closes (for checking nothing more was said). */
  String drain() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      in.transferTo(b);
    } catch (SocketTimeoutException e) {
      throw new IOException("server did not close; got " + b, e);
    } catch (IOException e) {
      // reset after close
    }
    return b.toString(StandardCharsets.UTF_8);
  }

  /** Sends STARTTLS, expects 220, handshakes. */
  void startTls(SSLContext ctx) throws IOException {
    Got g = cmd("STARTTLS");
    if (g.code() != 220) {
      throw new IOException("STARTTLS: " + g);
    }
    handshake(ctx);
  }

  void handshake(SSLContext ctx) throws IOException {
    SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.setSoTimeout(socket.getSoTimeout());
    ssl.startHandshake();
    attach(ssl);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
