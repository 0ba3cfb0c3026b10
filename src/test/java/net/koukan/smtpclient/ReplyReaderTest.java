package net.koukan.smtpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.koukan.tx.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict reply parser and what a reply becomes as a transaction response. */
class ReplyReaderTest {
  static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  static ReplyReader reader(String wire) {
    return new ReplyReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)), ms -> { });
  }

  @Test
  void multilineRepliesInOrderWithWhatIsLeftBuffered() throws IOException {
    ReplyReader r = reader("250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 CHUNKING\r\n"
        + "250 2.1.0 ok\r\n354 go\r\n");
    Reply ehlo = r.read(SECOND);
    assertThat(ehlo.code()).isEqualTo(250);
    assertThat(ehlo.lines()).containsExactly("mx.example", "PIPELINING", "SIZE 1000", "CHUNKING");
    Capabilities caps = Capabilities.parse(ehlo);
    assertThat(caps.pipelining()).isTrue();
    assertThat(caps.chunking()).isTrue();
    assertThat(caps.sizeLimit()).isEqualTo(1000);
    assertThat(caps.smtpUtf8()).isFalse();
    assertThat(r.buffered()).isEqualTo("250 2.1.0 ok\r\n354 go\r\n".length());
    assertThat(r.read(SECOND)).isEqualTo(new Reply(250, List.of("2.1.0 ok")));
    assertThat(r.read(SECOND).code()).isEqualTo(354);
    assertThat(r.buffered()).isZero();
  }

  @Test
  void aBareCodeAndAnEmptyTextAreReplies() throws IOException {
    ReplyReader r = reader("250\r\n221 \r\n");
    assertThat(r.read(SECOND)).isEqualTo(new Reply(250, List.of("")));
    assertThat(r.read(SECOND).toResponse()).isEqualTo(new Response(221, ""));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "250-a\r\n251 b\r\n",        // the code changes within the reply
      "250 ok\n",                  // bare LF
      "25\r\n",                    // too short
      "199 one-hundred\r\n",       // no such class
      "600 six-hundred\r\n",
      "260 second digit 6\r\n",
      "2x0 letters\r\n",
      "250x no separator\r\n",
      "\r\n"})
  void malformedRepliesAreRefused(String wire) {
    assertThatThrownBy(() -> reader(wire).read(SECOND))
        .isInstanceOf(ReplyReader.MalformedReplyException.class);
  }

  @Test
  void linesAndRepliesAreCapped() throws IOException {
    String longLine = "250 " + "x".repeat(ReplyReader.MAX_LINE) + "\r\n";
    assertThatThrownBy(() -> reader(longLine).read(SECOND))
        .isInstanceOf(ReplyReader.MalformedReplyException.class).hasMessageContaining("longer than");
    String fits = "250 " + "x".repeat(ReplyReader.MAX_LINE - 4) + "\r\n";
    assertThat(reader(fits).read(SECOND).lines().getFirst()).hasSize(ReplyReader.MAX_LINE - 4);
    String many = "250-x\r\n".repeat(ReplyReader.MAX_LINES) + "250 end\r\n";
    assertThatThrownBy(() -> reader(many).read(SECOND))
        .isInstanceOf(ReplyReader.MalformedReplyException.class).hasMessageContaining("lines");
  }

  @Test
  void endOfStreamInsideAReplyIsALostConnection() {
    assertThatThrownBy(() -> reader("250-first\r\n250 sec").read(SECOND)).isInstanceOf(EOFException.class);
  }

  /** A peer that sends a byte now and then cannot stretch a reply past its deadline. */
  @Test
  void theDeadlineCoversTheWholeReplyNotEachRead() {
    List<Integer> timeouts = new ArrayList<>();
    InputStream trickle = new InputStream() {
      @Override
      public int read() {
        return 'x';
      }

      @Override
      public int read(byte[] b, int off, int len) {
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        b[off] = (byte) (timeouts.size() < 3 ? "250".charAt(timeouts.size()) : '-');
        return 1;
      }
    };
    ReplyReader r = new ReplyReader(trickle, timeouts::add);
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> r.read(TimeUnit.MILLISECONDS.toNanos(200)))
        .isInstanceOf(SocketTimeoutException.class);
    assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(2));
    assertThat(timeouts).isSortedAccordingTo((a, b) -> Integer.compare(b, a)); // shrinking
    assertThat(timeouts.getLast()).isLessThan(200);
  }

  @Test
  void responsesAreSanitisedAndKeepTheEnhancedCodeOnce() throws IOException {
    Reply r = reader("550-5.1.1 no such user\r\n550-5.1.1 \u0007bell\u0000nul\r\n550 5.1.1 see x\r\n").read(SECOND);
    assertThat(r.toResponse()).isEqualTo(new Response(550, "5.1.1 no such user  bell nul see x"));
    Reply plain = reader("451-try\r\n451 later\r\n").read(SECOND);
    assertThat(plain.toResponse()).isEqualTo(new Response(451, "try later"));
    Reply huge = new Reply(250, List.of("y".repeat(5000)));
    assertThat(huge.toResponse().message()).hasSize(Reply.MAX_TEXT);
    assertThat(Reply.sanitize("a\r\nb\tc\u007fd")).isEqualTo("a  b c d");
  }
}
