package net.koukan.mime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.function.Supplier;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: message_builder} (spec §5.3): when the finished body arrives as a
 * message-builder spec ({@link Body.Builder}), renders it with {@link MessageBuilder} and hands
 * the filters after it a raw RFC 822 body instead. Raw bodies pass through untouched.
 *
 * <ul>
 *   <li>The rendered message is kept in memory up to {@value #MEMORY_LIMIT} bytes and in a
 *       temporary file beyond; the file is deleted when the attempt ends ({@link #close}).
 *   <li>An invalid spec answers the body {@code 550 5.6.0 invalid message_builder spec:
 *       <reason>}; MAIL and recipients of the same update still go on (so they get their own
 *       answers) but the body does not. A blob that cannot be read answers {@code 451}.
 *   <li>A builder body produced by {@code message_parser} (it carries the original message as
 *       blob {@value MessageParserFilter#RAW_BLOB}) is turned back into that original message
 *       rather than re-rendered: rendering the parsed view would lose parts.
 * </ul>
 */
public final class MessageBuilderFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(MessageBuilderFilter.class);
  /** Rendered bytes kept in memory before spilling to a temporary file. */
  public static final int MEMORY_LIMIT = 1 << 20;

  /** {@code filter: message_builder}; takes no options. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final String hostname;
    private final Path spillDir;

    /**
     * @param hostname Message-ID domain for specs without a From domain
     * @param spillDir where large rendered messages are written; null for java.io.tmpdir
     */
    public Factory(Clock clock, String hostname, Path spillDir) {
      this.clock = clock;
      this.hostname = validHost(hostname);
      this.spillDir = spillDir;
    }

    public Factory(Clock clock, String hostname) {
      this(clock, hostname, null);
    }

    @Override
    public String name() {
      return "message_builder";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      noOptions(stanza);
      MessageBuilder builder = new MessageBuilder(clock, new SecureRandom(), hostname,
          MessageBuilder.Limits.DEFAULT);
      return () -> new MessageBuilderFilter(builder, spillDir);
    }
  }

  private final MessageBuilder builder;
  private final Path spillDir;
  private SpillBuffer rendered;

  public MessageBuilderFilter(MessageBuilder builder, Path spillDir) {
    this.builder = builder;
    this.spillDir = spillDir;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (!delta.body() || !(tx.body() instanceof Body.Builder b)) {
      next.update(tx, delta);
      return;
    }
    BlobSource original = b.blobs().get(MessageParserFilter.RAW_BLOB);
    if (original != null) {
      tx.rewriteBody(new Body.Raw(original));
      next.update(tx, delta);
      return;
    }
    SpillBuffer out = new SpillBuffer(MEMORY_LIMIT, spillDir);
    BlobSource message;
    try {
      builder.render(b.spec(), b.blobs(), out);
      message = out.finish();
    } catch (InvalidSpecException e) {
      out.discard();
      log.info("{}: invalid message_builder spec: {}", tx.restId(), e.getMessage());
      refuse(tx, delta, next, new Response(550, "5.6.0 invalid message_builder spec: " + e.getMessage()));
      return;
    } catch (IOException | UncheckedIOException e) {
      out.discard();
      log.warn("{}: message_builder cannot read the blobs", tx.restId(), e);
      refuse(tx, delta, next, new Response(451, "4.3.0 message_builder: cannot read the message's blobs"));
      return;
    }
    discard();
    rendered = out;
    tx.rewriteBody(new Body.Raw(message));
    next.update(tx, delta);
  }

  /** The rest of the update goes on; the body is answered here and not passed on. */
  private static void refuse(FilterTx tx, Delta delta, Next next, Response r) {
    Delta rest = new Delta(delta.mailFrom(), delta.rcpts(), false);
    if (!rest.isEmpty()) {
      next.update(tx, rest);
    }
    tx.dataResponse(r);
  }

  private void discard() {
    if (rendered != null) {
      rendered.discard();
      rendered = null;
    }
  }

  @Override
  public void close() {
    discard();
  }

  static void noOptions(FilterStanza stanza) {
    var names = stanza.options().fieldNames();
    if (names.hasNext()) {
      throw stanza.error(names.next(), "filter " + stanza.filter() + " takes no options");
    }
  }

  static String validHost(String hostname) {
    try {
      if (hostname != null && HeaderText.domainOf("x@" + hostname) != null) {
        return hostname;
      }
    } catch (InvalidSpecException e) {
      // fall through
    }
    return "localhost";
  }
}
