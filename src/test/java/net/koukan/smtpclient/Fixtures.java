package net.koukan.smtpclient;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Mailbox;
import net.koukan.tx.TxJson;

/** Builds {@code smtp_output} chains and transactions for the tests. */
final class Fixtures {
  private Fixtures() {}

  static ObjectNode json(String s) {
    try {
      return (ObjectNode) TxJson.MAPPER.readTree(s);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Options with {@code hosts} on 127.0.0.1 at {@code ports}, 5 s timeouts, no session reuse (the
   * wire tests look at one transaction, QUIT included; SessionReuseTest turns it on), then
   * {@code extra} (a JSON object that overrides).
   */
  static ObjectNode options(String extra, int... ports) {
    ObjectNode o = json("""
        {"ehlo_host": "client.koukan.test", "connect_timeout": 5, "greeting_timeout": 5,
         "command_timeout": 5, "data_init_timeout": 5, "data_block_timeout": 5, "data_timeout": 5,
         "connection_reuse": false}""");
    ArrayNode hosts = o.putArray("hosts");
    for (int p : ports) {
      hosts.addObject().put("host", "127.0.0.1").put("port", p);
    }
    o.setAll(json(extra));
    return o;
  }

  static Chain chain(ObjectNode options) {
    return new Chain(List.of(new SmtpOutputFactory()
        .prepare(new FilterStanza("smtp_output", options, "test.yaml", 1)).get()));
  }

  static FilterTx tx(Mailbox from, String... rcpts) {
    FilterTx tx = new FilterTx("t1", "submission", null);
    tx.mailFrom(from);
    for (String r : rcpts) {
      tx.addRcpt(Mailbox.of(r));
    }
    return tx;
  }

  static FilterTx tx(String from, String... rcpts) {
    return tx(Mailbox.of(from), rcpts);
  }

  static List<Integer> all(FilterTx tx) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < tx.rcptTo().size(); i++) {
      l.add(i);
    }
    return l;
  }

  /** MAIL, every recipient and the body in one update (as a stored transaction is delivered). */
  static FilterTx deliver(ObjectNode options, FilterTx tx, byte[] body) {
    if (body != null) {
      tx.body(new Body.Raw(BlobSource.of(body)));
    }
    try (Chain chain = chain(options)) {
      chain.update(tx, new Delta(true, all(tx), body != null));
    }
    return tx;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String latin1(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  static final String MESSAGE = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n"
      + "\r\nhello\r\n.a line that starts with a dot\r\n..and one with two\r\n.\r\nbye\r\n";

  /** {@link #MESSAGE} as DATA puts it on the wire, final dot included. */
  static final String MESSAGE_STUFFED = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n"
      + "\r\nhello\r\n..a line that starts with a dot\r\n...and one with two\r\n..\r\nbye\r\n.\r\n";
}
