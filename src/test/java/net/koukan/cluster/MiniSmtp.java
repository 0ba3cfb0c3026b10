package net.koukan.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** One message over plain SMTP, as a client that counts what it was told: the last reply code. */
final class MiniSmtp {
  private MiniSmtp() {}

  /**
   * Sends {@code msg} (CRLF lines, no dot-stuffing needed) and returns the DATA reply code, or the
   * first failing reply code before it, or -1 if the connection failed.
   */
  static int send(int port, String from, String to, String msg) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(120_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      int c = reply(in);
      if (c != 220) {
        return c;
      }
      String[] steps = {"EHLO client.test", "MAIL FROM:<" + from + ">", "RCPT TO:<" + to + ">", "DATA"};
      int[] want = {250, 250, 250, 354};
      for (int i = 0; i < steps.length; i++) {
        out.write((steps[i] + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        c = reply(in);
        if (c != want[i]) {
          quit(out);
          return c;
        }
      }
      out.write((msg + ".\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      c = reply(in);
      quit(out);
      return c;
    } catch (IOException e) {
      return -1;
    }
  }

  private static void quit(OutputStream out) {
    try {
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private static int reply(BufferedReader in) throws IOException {
    while (true) {
      String line = in.readLine();
      if (line == null) {
        throw new IOException("connection closed");
      }
      if (line.length() < 4 || line.charAt(3) != '-') {
        return Integer.parseInt(line.substring(0, 3));
      }
    }
  }
}
