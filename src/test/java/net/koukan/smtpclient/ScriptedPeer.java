package net.koukan.smtpclient;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A scripted SMTP peer in the test JVM, for what real peers cannot be made to do: STARTTLS (and
 * misbehaving around it), replies that break the rules, a peer that stops reading. It accepts one
 * connection and runs the script on it; what the client sent is kept in {@link #received}.
 */
final class ScriptedPeer implements AutoCloseable {
  /** What the peer does with the connection. */
  @FunctionalInterface
  interface Script {
    void run(Conn c) throws Exception;
  }

  /** One accepted connection: read lines, write raw text, switch to TLS. */
  static final class Conn {
    private Socket socket;
    private BufferedReader in;
    private OutputStream out;
    private boolean tls;
    private final List<String> received;

    Conn(Socket s, List<String> received) throws IOException {
      this.received = received;
      attach(s);
    }

    private void attach(Socket s) throws IOException {
      socket = s;
      in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
      out = s.getOutputStream();
    }

    /** The next line from the client (recorded with a "tls " prefix once TLS is on). */
    String line() throws IOException {
      String l = in.readLine();
      if (l == null) {
        throw new IOException("client closed the connection");
      }
      received.add((tls ? "tls " : "") + l);
      return l;
    }

    /** Reads a line and checks it starts with {@code verb}. */
    String expect(String verb) throws IOException {
      String l = line();
      if (!l.toUpperCase().startsWith(verb)) {
        throw new IOException("expected " + verb + ", got " + l);
      }
      return l;
    }

    /** Writes {@code text} as it is (the caller writes the CRLFs). */
    void send(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** The DATA section up to the final dot, as received. */
    String data() throws IOException {
      StringBuilder b = new StringBuilder();
      while (true) {
        String l = line();
        if (l.equals(".")) {
          return b.toString();
        }
        b.append(l).append('\n');
      }
    }

    void startTls(SSLContext ctx) throws IOException {
      SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(socket, (InputStream) null, true);
      s.setUseClientMode(false);
      s.startHandshake();
      tls = true;
      attach(s);
    }

    Socket socket() {
      return socket;
    }
  }

  private final ServerSocket server;
  private final Thread thread;
  final List<String> received = Collections.synchronizedList(new ArrayList<>());
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  ScriptedPeer(Script script) throws IOException {
    this(script, 0);
  }

  /** @param receiveBuffer the listening socket's receive buffer (0: the system's) */
  ScriptedPeer(Script script, int receiveBuffer) throws IOException {
    server = new ServerSocket();
    if (receiveBuffer > 0) {
      server.setReceiveBufferSize(receiveBuffer);
    }
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    thread = Thread.ofVirtual().start(() -> {
      try (Socket s = server.accept()) {
        script.run(new Conn(s, received));
      } catch (Throwable t) {
        failure.set(t);
      }
    });
  }

  int port() {
    return server.getLocalPort();
  }

  /** The script's failure, if any, once it finished (waits at most 5 s). */
  Throwable failure() throws InterruptedException {
    thread.join(5000);
    return failure.get();
  }

  @Override
  public void close() throws IOException {
    server.close();
    thread.interrupt();
  }

  /** The usual start: greeting and EHLO with {@code extensions}. */
  static void hello(Conn c, String... extensions) throws IOException {
    c.send("220 fake ESMTP\r\n");
    ehlo(c, extensions);
  }

  /** Reads EHLO and answers it with {@code extensions}. */
  static void ehlo(Conn c, String... extensions) throws IOException {
    c.expect("EHLO");
    StringBuilder b = new StringBuilder("250" + (extensions.length == 0 ? " " : "-") + "fake\r\n");
    for (int i = 0; i < extensions.length; i++) {
      b.append("250").append(i == extensions.length - 1 ? " " : "-").append(extensions[i]).append("\r\n");
    }
    c.send(b.toString());
  }

  /** MAIL, RCPT, DATA (pipelined or not: replies are sent after reading each), body, QUIT. */
  static String transaction(Conn c) throws IOException {
    c.expect("MAIL");
    c.send("250 2.1.0 ok\r\n");
    c.expect("RCPT");
    c.send("250 2.1.5 ok\r\n");
    c.expect("DATA");
    c.send("354 go\r\n");
    String data = c.data();
    c.send("250 2.0.0 fine\r\n");
    c.expect("QUIT");
    c.send("221 bye\r\n");
    return data;
  }
}
