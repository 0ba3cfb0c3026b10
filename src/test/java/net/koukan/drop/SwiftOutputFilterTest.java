package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import org.junit.jupiter.api.Test;

/** {@code filter: swift} in a router chain (queued mode), against the fake Swift. */
class SwiftOutputFilterTest {

  static FilterStanza stanza(String yaml) throws Exception {
    ObjectNode n = (ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(yaml);
    return new FilterStanza("swift", n, "router.yaml", 7);
  }

  @Test
  void storesTheRoutedRecipientsAndAnswers4xxForTheRouterToRetry() throws Exception {
    try (FakeSwift swift = new FakeSwift()) {
      FilterStanza s = stanza("""
          store_timeout: 2
          defaults: {auth_version: 1, auth_url: "%s", user: "test:tester", key: testing}
          sections:
            INBOX: {recipients: [Drop@Example.com], container: inbox}
          """.formatted(swift.authUrl()));
      Filter f = new SwiftOutputFilter.Factory(Clock.systemUTC(), "router.test").prepare(s).get();
      FilterTx tx = new FilterTx(null, "submission", null);
      tx.mailFrom(Mailbox.of("s@example.org"));
      tx.addRcpt(Mailbox.of("drop@example.com"));
      tx.addRcpt(Mailbox.of("else@example.com"));
      byte[] msg = "Subject: queued\r\n\r\nx\r\n".getBytes(StandardCharsets.US_ASCII);
      tx.body(new Body.Raw(BlobSource.of(msg)));
      f.update(tx, new Delta(true, List.of(0, 1), true), (t, d) -> { throw new AssertionError("terminal"); });
      assertThat(tx.rcptResponse(0).code()).isEqualTo(250);
      assertThat(tx.rcptResponse(1).code()).isEqualTo(550);
      assertThat(tx.dataResponse().code()).isEqualTo(250);
      assertThat(swift.objects).hasSize(1);
      assertThat(swift.puts.get(0).headers().get("X-Object-Meta-Rcpt-To")).isEqualTo("drop@example.com");

      swift.onPut = p -> 503;
      Filter f2 = new SwiftOutputFilter.Factory(Clock.systemUTC(), "router.test").prepare(s).get();
      FilterTx tx2 = new FilterTx(null, "submission", null);
      tx2.mailFrom(Mailbox.of("s@example.org"));
      tx2.addRcpt(Mailbox.of("drop@example.com"));
      tx2.body(new Body.Raw(BlobSource.of(msg)));
      f2.update(tx2, new Delta(true, List.of(0), true), (t, d) -> { });
      assertThat(tx2.dataResponse().code()).isEqualTo(451);
    }
  }

  @Test
  void stanzaErrorsNameTheFileAndKey() throws Exception {
    FilterStanza s = stanza("""
        sections:
          INBOX: {recipients: [a@example.com], auth_url: "http://127.0.0.1:1/auth/v1.0", user: u, key: k}
        """);
    assertThatThrownBy(() -> new SwiftOutputFilter.Factory(Clock.systemUTC(), "h").prepare(s))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("router.yaml:")
        .hasMessageContaining("container").hasMessageContaining("must be set");
  }
}
