package net.koukan.mime;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * {@code filter: message_parser} (spec §5.3): when the routing options of the transaction ask
 * for it ({@code options.receive_parsing}, set per destination by the {@code router} filter,
 * e.g. {@code {receive_parsing: {max_inline: 0}}}), parses the finished raw body with
 * {@link MessageParser} and hands the filters after it a message-builder body instead:
 *
 * <pre>
 * Body.Builder(spec  = the parsed-message JSON of spec §3.4,
 *              blobs = {"0": …, "1": …,          // the blobs the JSON names (create_id)
 *                       "__raw": original})     // the message exactly as received
 * </pre>
 *
 * The original message travels as blob {@value #RAW_BLOB}; ids starting with {@code __} are
 * never valid client blob ids ({@code TxJson.validBlobId}), so it cannot clash with a blob of the
 * JSON. An output sending this body to a REST receiver (spec §2.12) POSTs the JSON to
 * {@code body.message_builder.uri}, PUTs every blob the JSON names to the URI the answer gives
 * for it, and PUTs {@value #RAW_BLOB} to {@code body.blob_status.uri} as the raw body; an output
 * that can only send raw bodies sends {@value #RAW_BLOB}. {@link MessageBuilderFilter} turns such
 * a body back into the original message.
 *
 * <p>Without {@code receive_parsing}, or for a body that is already a message-builder spec, the
 * body passes through untouched. Malformed MIME never fails the transaction; a message that
 * cannot be read answers the body {@code 451}.
 */
public final class MessageParserFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(MessageParserFilter.class);
  /** Blob id of the original raw message in the builder body this filter produces. */
  public static final String RAW_BLOB = Body.RAW_BLOB;

  /** {@code filter: message_parser}; takes no options (they come from the transaction). */
  public static final class Factory implements FilterFactory {
    @Override
    public String name() {
      return "message_parser";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      MessageBuilderFilter.noOptions(stanza);
      return MessageParserFilter::new;
    }
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    JsonNode parsing = tx.options() == null ? null : tx.options().get("receive_parsing");
    if (delta.body() && parsing != null && tx.body() instanceof Body.Raw raw) {
      try {
        MessageParser.Result r = new MessageParser(maxInline(tx, parsing)).parse(raw.blob());
        Map<String, BlobSource> blobs = new LinkedHashMap<>(r.blobs());
        blobs.put(RAW_BLOB, raw.blob());
        tx.rewriteBody(new Body.Builder(r.json(), blobs));
      } catch (IOException | UncheckedIOException e) {
        log.warn("{}: message_parser cannot read the message", tx.restId(), e);
        Delta rest = new Delta(delta.mailFrom(), delta.rcpts(), false);
        if (!rest.isEmpty()) {
          next.update(tx, rest);
        }
        tx.dataResponse(new Response(451, "4.3.0 message_parser: cannot read the message"));
        return;
      } catch (RuntimeException e) {
        // a bug, not the message's fault: deliver it unparsed rather than not at all
        log.error("{}: message_parser failed; sending the message unparsed", tx.restId(), e);
      }
    }
    next.update(tx, delta);
  }

  /** {@code receive_parsing.max_inline}: a non-negative integer, else the default. */
  static int maxInline(FilterTx tx, JsonNode parsing) {
    JsonNode m = parsing.get("max_inline");
    if (m == null || m.isNull()) {
      return MessageParser.DEFAULT_MAX_INLINE;
    }
    if (m.canConvertToInt() && m.isIntegralNumber() && m.asInt() >= 0) {
      return m.asInt();
    }
    log.warn("{}: receive_parsing.max_inline {} is not a non-negative integer; using {}",
        tx.restId(), m, MessageParser.DEFAULT_MAX_INLINE);
    return MessageParser.DEFAULT_MAX_INLINE;
  }
}
