package net.koukan.mime;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.koukan.filter.BlobSource;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;
import net.koukan.tx.BoundedInputStream;

/**
 * Reading a leaf's content out of the raw message: the byte range, transfer decoding (our lenient
 * base64 decoder, mime4j's quoted-printable decoder) and, for text, conversion to UTF-8.
 */
final class PartContent {
  private PartContent() {}

  /** Decodes the transfer encoding; problems go to {@code monitor}. */
  static InputStream decode(InputStream in, String encoding, DecodeMonitor monitor) {
    return switch (encoding) {
      case "base64" -> new Base64Decoder(in, monitor);
      case "quoted-printable" -> new QuotedPrintableInputStream(in, monitor);
      default -> in;
    };
  }

  /**
   * Lenient base64 (RFC 2045 §6.8): characters outside the alphabet are skipped, a final
   * quantum of 2 or 3 characters is decoded even without padding (mime4j's decoder drops it),
   * decoding resumes after padding (concatenated encodings). Problems go to the monitor once each.
   */
  static final class Base64Decoder extends InputStream {
    private static final int[] DECODE = new int[256];

    static {
      java.util.Arrays.fill(DECODE, -1);
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      for (int i = 0; i < alphabet.length(); i++) {
        DECODE[alphabet.charAt(i)] = i;
      }
    }

    private final InputStream in;
    private final DecodeMonitor monitor;
    private final byte[] inBuf = new byte[8192];
    private final byte[] out = new byte[8192 / 4 * 3 + 3];
    private int outPos;
    private int outLen;
    private int bits;
    private int chars;
    private boolean eof;
    private boolean warnedInvalid;

    Base64Decoder(InputStream in, DecodeMonitor monitor) {
      this.in = in;
      this.monitor = monitor;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (outPos == outLen) {
        if (eof) {
          return -1;
        }
        fill();
      }
      int n = Math.min(len, outLen - outPos);
      System.arraycopy(out, outPos, b, off, n);
      outPos += n;
      return n;
    }

    private void fill() throws IOException {
      outPos = 0;
      outLen = 0;
      int n = in.read(inBuf);
      if (n < 0) {
        eof = true;
        if (chars > 0) {
          partial();
        }
        return;
      }
      for (int i = 0; i < n; i++) {
        int c = inBuf[i] & 0xff;
        int v = DECODE[c];
        if (v >= 0) {
          bits = bits << 6 | v;
          if (++chars == 4) {
            out[outLen++] = (byte) (bits >> 16);
            out[outLen++] = (byte) (bits >> 8);
            out[outLen++] = (byte) bits;
            bits = 0;
            chars = 0;
          }
        } else if (c == '=') {
          if (chars > 0) {
            partial();
          }
        } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t' && !warnedInvalid) {
          warnedInvalid = true;
          monitor.warn("base64: characters outside the alphabet skipped", "ignoring");
        }
      }
    }

    /** A final quantum of 1 to 3 characters (padding reached or the content ended). */
    private void partial() {
      if (chars == 1) {
        monitor.warn("base64: a lone character at the end dropped", "ignoring");
      } else if (chars == 2) {
        out[outLen++] = (byte) (bits >> 4);
      } else if (chars == 3) {
        out[outLen++] = (byte) (bits >> 10);
        out[outLen++] = (byte) (bits >> 2);
      }
      bits = 0;
      chars = 0;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** A reader for text in {@code cs}; bytes that are not valid in it become U+FFFD. */
  static Reader reader(InputStream in, Charset cs) {
    return new InputStreamReader(in, cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE));
  }

  /** UTF-8 length of a UTF-16 unit as counted by {@link #utf8Length} (pairs counted at the high half). */
  static int utf8Length(char c) {
    if (c < 0x80) {
      return 1;
    }
    if (c < 0x800) {
      return 2;
    }
    if (Character.isHighSurrogate(c)) {
      return 4;
    }
    if (Character.isLowSurrogate(c)) {
      return 0;
    }
    return 3;
  }

  /** Records decoding problems as defects (at most a few per entity) and never stops decoding. */
  static final class DefectMonitor extends DecodeMonitor {
    private final List<String> defects;
    private int count;

    DefectMonitor(List<String> defects) {
      this.defects = defects;
    }

    @Override
    public boolean warn(String message, String dummy) {
      if (count++ < 3) {
        defects.add("content: " + message);
      }
      return false;
    }

    @Override
    public boolean isListening() {
      return true;
    }
  }

  /**
   * A leaf's decoded content, read again from the raw message each time it is opened (nothing
   * is kept in memory). {@code charset} non-null: text, converted to UTF-8.
   */
  record Blob(BlobSource raw, long start, long rawLength, String encoding, Charset charset,
      long length) implements BlobSource {
    @Override
    public InputStream open() throws IOException {
      InputStream in = raw.open();
      try {
        in.skipNBytes(start);
      } catch (IOException | RuntimeException e) {
        in.close();
        throw e;
      }
      InputStream decoded = decode(new BoundedInputStream(in, rawLength), encoding, DecodeMonitor.SILENT);
      return charset == null ? decoded : new Utf8Stream(reader(decoded, charset));
    }
  }


  /** The characters of a reader as UTF-8 bytes. */
  static final class Utf8Stream extends InputStream {
    private final Reader reader;
    private final CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final CharBuffer chars = CharBuffer.allocate(8192).flip();
    private final ByteBuffer bytes = ByteBuffer.allocate(32 * 1024).flip();
    private boolean eof;
    private boolean done;

    Utf8Stream(Reader reader) {
      this.reader = reader;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (!bytes.hasRemaining()) {
        if (done) {
          return -1;
        }
        fill();
      }
      int n = Math.min(len, bytes.remaining());
      bytes.get(b, off, n);
      return n;
    }

    private void fill() throws IOException {
      bytes.clear();
      if (!eof) {
        chars.compact();
        int n = reader.read(chars);
        chars.flip();
        if (n < 0) {
          eof = true;
        }
      }
      encoder.encode(chars, bytes, eof);
      if (eof && !chars.hasRemaining()) {
        encoder.flush(bytes);
        done = true;
      }
      bytes.flip();
    }

    @Override
    public void close() throws IOException {
      reader.close();
    }
  }
}
