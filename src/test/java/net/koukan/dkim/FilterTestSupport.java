package net.koukan.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;

/** Stanzas parsed from YAML (so errors carry real lines) and a fake rest of the chain. */
final class FilterTestSupport {
  private FilterTestSupport() {}

  /** The first filter stanza of a router.yaml whose chain is {@code - filter: NAME} + options. */
  static FilterStanza stanza(String name, String yamlOptions) {
    String yaml = """
        rest_listener:
          addr: [localhost, 8000]
          session_uri: http://localhost:8000
        endpoint:
        - name: out
          chain:
          - filter: %s
        """.formatted(name) + yamlOptions.indent(4);
    return RouterConfig.parse(yaml, "router.yaml").endpoint().getFirst().chain().getFirst();
  }

  /** Records what the rest of the chain saw. */
  static final class Downstream implements Filter.Next {
    final List<Delta> deltas = new ArrayList<>();
    final List<byte[]> bodies = new ArrayList<>();

    @Override
    public void update(FilterTx tx, Delta delta) {
      deltas.add(delta);
      if (delta.body() && tx.body() instanceof Body.Raw raw) {
        try {
          bodies.add(raw.blob().readAll());
        } catch (IOException e) {
          bodies.add(null); // an unreadable body went on
        }
      }
    }
  }

  static FilterTx tx(byte[] message) {
    FilterTx tx = new FilterTx("tx1", "sender", "tag");
    tx.mailFrom(Mailbox.of("alice@example.com"));
    tx.addRcpt(Mailbox.of("bob@example.net"));
    tx.body(new Body.Raw(BlobSource.of(message)));
    return tx;
  }

  static FilterTx tx(String message) {
    return tx(message.getBytes(StandardCharsets.UTF_8));
  }

  static final Delta ALL = new Delta(true, List.of(0), true);
  static final Delta BODY = new Delta(false, List.of(), true);

  /** A blob whose reading fails half-way. */
  static BlobSource broken() {
    return new BlobSource() {
      @Override
      public long length() {
        return 100;
      }

      @Override
      public InputStream open() {
        return new InputStream() {
          int n;

          @Override
          public int read() throws IOException {
            if (n++ > 20) {
              throw new IOException("disk on fire");
            }
            return 'a';
          }
        };
      }
    };
  }
}
