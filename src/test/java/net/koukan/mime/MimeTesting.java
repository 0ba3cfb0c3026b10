package net.koukan.mime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import net.koukan.filter.BlobSource;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.MimeConfig;

/** Shared helpers of the mime tests: fixtures, a deterministic builder, the mime4j oracle. */
final class MimeTesting {
  private MimeTesting() {}

  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant NOW = Instant.parse("2024-03-06T18:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  /** A builder whose output depends only on its input (fixed clock, seeded randomness). */
  static MessageBuilder builder() {
    return new MessageBuilder(CLOCK, new Random(42), "mx.example.net", MessageBuilder.Limits.DEFAULT);
  }

  static JsonNode json(String s) {
    try {
      return JSON.readTree(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The JSON as it reads back from text (numbers as the smallest fitting type), for equality. */
  static com.fasterxml.jackson.databind.node.ObjectNode normalized(com.fasterxml.jackson.databind.node.ObjectNode n) {
    return (com.fasterxml.jackson.databind.node.ObjectNode) json(n.toString());
  }

  static byte[] resource(String path) {
    try (InputStream in = MimeTesting.class.getResourceAsStream("/mime/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource mime/" + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A corpus message with every line end made CRLF, as it arrives over SMTP. */
  static byte[] message(String name) {
    String s = new String(resource("parser/" + name), StandardCharsets.ISO_8859_1);
    return s.replace("\r\n", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1);
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] read(BlobSource b) {
    try {
      return b.readAll();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** mime4j's DOM of a message: the independent oracle for what the builder writes. */
  static Message mime4j(byte[] message) {
    DefaultMessageBuilder b = new DefaultMessageBuilder();
    b.setMimeEntityConfig(MimeConfig.custom().setStrictParsing(true).setMaxLineLen(998).build());
    try {
      return b.parseMessage(new ByteArrayInputStream(message));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The decoded content of a single-part entity, as mime4j decodes it. */
  static byte[] content(Entity e) {
    try (InputStream in = ((SingleBody) e.getBody()).getInputStream()) {
      return in.readAllBytes();
    } catch (IOException x) {
      throw new UncheckedIOException(x);
    }
  }

  /** The header block of a message (up to the first empty line) as text. */
  static String head(byte[] message) {
    String s = new String(message, StandardCharsets.UTF_8);
    int end = s.indexOf("\r\n\r\n");
    return end < 0 ? s : s.substring(0, end + 2);
  }

  /** A blob whose bytes are generated on each open (nothing held in memory) and counts opens. */
  static final class Generated implements BlobSource {
    final long length;
    int opens;

    Generated(long length) {
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public InputStream open() {
      opens++;
      return new InputStream() {
        long pos;

        @Override
        public int read() {
          return pos < length ? byteAt(pos++) : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
          if (pos >= length) {
            return -1;
          }
          int n = (int) Math.min(len, length - pos);
          for (int i = 0; i < n; i++) {
            b[off + i] = (byte) byteAt(pos++);
          }
          return n;
        }
      };
    }

    static int byteAt(long i) {
      return (int) ((i * 2654435761L) >>> 13) & 0xff;
    }
  }
}
