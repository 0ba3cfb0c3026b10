package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.filter.PrependedBlob;
import net.koukan.tx.EsmtpParam;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import org.junit.jupiter.api.Test;

class ReceivedHeaderFilterTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2024-02-07T22:47:24Z"), ZoneOffset.ofHours(-8));
  static final String DATE = "Wed, 07 Feb 2024 14:47:24 -0800";
  static final byte[] MESSAGE = "Subject: hi\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);

  static ObjectNode meta(String ehlo, boolean esmtp, boolean tls, boolean auth) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("ehlo_host", ehlo);
    m.put("esmtp", esmtp);
    m.put("tls", tls);
    m.put("auth", auth);
    return m;
  }

  /** Runs the body through received_header (hostname mx.example) and returns the new message. */
  static String run(FilterTx tx) throws IOException {
    tx.body(new Body.Raw(BlobSource.of(MESSAGE)));
    List<FilterStanza> s = Harness.stanzas("- filter: received_header\n");
    var f = new ReceivedHeaderFilter.Factory(CLOCK, "mx.example").prepare(s.get(0)).get();
    List<Integer> rcpts = new java.util.ArrayList<>();
    for (int i = 0; i < tx.rcptTo().size(); i++) {
      rcpts.add(i);
    }
    new Chain(List.of(f, new Harness.Output())).update(tx, new Delta(true, rcpts, true));
    Body.Raw raw = (Body.Raw) tx.body();
    byte[] all = raw.blob().readAll();
    assertThat(raw.blob().length()).isEqualTo(all.length);
    String text = new String(all, StandardCharsets.UTF_8);
    assertThat(text).endsWith("\r\nSubject: hi\r\n\r\nbody\r\n");
    return text.substring(0, text.length() - MESSAGE.length);
  }

  static FilterTx tx(Mailbox from, String... rcpts) {
    FilterTx tx = new FilterTx("t", "s", null);
    tx.mailFrom(from);
    for (String r : rcpts) {
      tx.addRcpt(Mailbox.of(r));
    }
    return tx;
  }

  @Test
  void plainSmtpWithOneRecipient() throws IOException {
    FilterTx tx = tx(Mailbox.of("alice@client.example"), "bob@example.com");
    tx.remoteHost(new HostPort("192.0.2.1", 40000));
    tx.smtpMeta(meta("client.example", false, false, false));
    assertThat(run(tx)).isEqualTo("Received: from client.example ([192.0.2.1])\r\n"
        + "\tby mx.example\r\n"
        + "\twith SMTP\r\n"
        + "\tfor bob@example.com;\r\n"
        + "\t" + DATE + "\r\n");
  }

  @Test
  void esmtpsaWithConfirmedReverseDns() throws IOException {
    FilterTx tx = tx(Mailbox.of("alice@client.example"), "bob@example.com");
    tx.remoteHost(new HostPort("192.0.2.1", 40000));
    tx.smtpMeta(meta("client.example", true, true, true));
    tx.filterOutput().set("remote_host", Harness.parse(
        "{\"status\":\"OK\",\"ptr\":[\"mail.client.example.\"],\"fcrdns\":true,\"ehlo_alignment\":false}"));
    assertThat(run(tx)).isEqualTo("Received: from client.example (mail.client.example [192.0.2.1])\r\n"
        + "\tby mx.example\r\n"
        + "\twith ESMTPSA\r\n"
        + "\tfor bob@example.com;\r\n"
        + "\t" + DATE + "\r\n");
  }

  @Test
  void reverseDnsOnlyWhenForwardConfirmed() throws IOException {
    FilterTx tx = tx(Mailbox.of("a@b.example"), "bob@example.com");
    tx.remoteHost(new HostPort("192.0.2.1", 40000));
    tx.smtpMeta(meta("client.example", true, false, false));
    tx.filterOutput().set("remote_host", Harness.parse(
        "{\"status\":\"OK\",\"ptr\":[\"liar.example.\"],\"fcrdns\":false,\"ehlo_alignment\":false}"));
    assertThat(run(tx)).startsWith("Received: from client.example ([192.0.2.1])\r\n\tby mx.example\r\n\twith ESMTP\r\n");
  }

  @Test
  void utf8smtpOverTlsIpv6AndSeveralRecipients() throws IOException {
    FilterTx tx = tx(new Mailbox("j\u00f6rg@client.example", List.of(new EsmtpParam("SMTPUTF8", null))),
        "bob@example.com", "carol@example.com");
    tx.remoteHost(new HostPort("2001:db8::25", 40000));
    tx.smtpMeta(meta("client.example", true, true, false));
    assertThat(run(tx)).isEqualTo("Received: from client.example ([IPv6:2001:db8::25])\r\n"
        + "\tby mx.example\r\n"
        + "\twith UTF8SMTPS;\r\n"
        + "\t" + DATE + "\r\n");
  }

  @Test
  void restTransactions() throws IOException {
    FilterTx rest = tx(Mailbox.of("alice@example.com"), "bob@example.com");
    assertThat(run(rest)).isEqualTo("Received: by mx.example\r\n"
        + "\twith X-RESTMTP\r\n"
        + "\tfor bob@example.com;\r\n"
        + "\t" + DATE + "\r\n");
    // a REST client with a known address: named by its confirmed PTR name, or its IP
    FilterTx named = tx(Mailbox.of("alice@example.com"), "bob@example.com", "carol@example.com");
    named.remoteHost(new HostPort("192.0.2.7", 8000));
    named.filterOutput().set("remote_host", Harness.parse(
        "{\"status\":\"OK\",\"hostname\":\"app.example.\",\"ptr\":[\"x.example.\",\"app.example.\"],\"fcrdns\":true}"));
    assertThat(run(named)).isEqualTo("Received: from app.example (app.example [192.0.2.7])\r\n"
        + "\tby mx.example\r\n"
        + "\twith X-RESTMTP;\r\n"
        + "\t" + DATE + "\r\n");
    FilterTx literal = tx(Mailbox.of("alice@example.com"), "bob@example.com");
    literal.remoteHost(new HostPort("192.0.2.7", 8000));
    assertThat(run(literal)).startsWith("Received: from [192.0.2.7] ([192.0.2.7])\r\n\tby mx.example\r\n\twith X-RESTMTP\r\n");
  }

  @Test
  void noFromClauseWithoutEhloOrIp() throws IOException {
    FilterTx tx = tx(Mailbox.of("a@b.example"), "bob@example.com");
    tx.smtpMeta(meta("", true, false, false));
    tx.remoteHost(new HostPort("192.0.2.1", 25));
    assertThat(run(tx)).startsWith("Received: by mx.example\r\n\twith ESMTP\r\n");
    FilterTx named = tx(Mailbox.of("a@b.example"), "bob@example.com");
    named.smtpMeta(meta("client.example", true, false, false));
    named.remoteHost(new HostPort("not-an-ip.example", 25));
    assertThat(run(named)).startsWith("Received: by mx.example\r\n\twith ESMTP\r\n");
  }

  @Test
  void hostileEhloCannotBreakTheHeader() throws IOException {
    FilterTx tx = tx(Mailbox.of("a@b.example"), "bob@example.com");
    tx.remoteHost(new HostPort("192.0.2.1", 25));
    tx.smtpMeta(meta("evil\r\nBcc: x@y (z);", true, false, false));
    assertThat(run(tx)).startsWith("Received: from evilBcc:x@yz ([192.0.2.1])\r\n\tby mx.example\r\n");
  }

  @Test
  void streamsTheOriginalWithoutReadingIt() throws IOException {
    AtomicInteger opens = new AtomicInteger();
    BlobSource counting = new BlobSource() {
      @Override
      public long length() {
        return MESSAGE.length;
      }

      @Override
      public InputStream open() {
        opens.incrementAndGet();
        return new ByteArrayInputStream(MESSAGE);
      }
    };
    FilterTx tx = tx(Mailbox.of("a@b.example"), "bob@example.com");
    tx.body(new Body.Raw(counting));
    var f = new ReceivedHeaderFilter.Factory(CLOCK, "mx.example")
        .prepare(Harness.stanzas("- filter: received_header\n").get(0)).get();
    new Chain(List.of(f, new Harness.Output())).update(tx, new Delta(true, List.of(0), true));
    assertThat(opens.get()).isZero();
    Body.Raw raw = (Body.Raw) tx.body();
    assertThat(raw.blob()).isInstanceOf(PrependedBlob.class);
    assertThat(((PrependedBlob) raw.blob()).rest()).isSameAs(counting);
    assertThat(new String(raw.blob().readAll(), StandardCharsets.UTF_8)).endsWith("\r\n\t" + DATE + "\r\nSubject: hi\r\n\r\nbody\r\n");
    assertThat(opens.get()).isEqualTo(1);
  }

  @Test
  void cancelledAndBuilderBodiesPassUnchanged() {
    var f = new ReceivedHeaderFilter.Factory(CLOCK, "mx.example")
        .prepare(Harness.stanzas("- filter: received_header\n").get(0));
    FilterTx cancelled = tx(Mailbox.of("a@b.example"), "bob@example.com");
    Body.Raw original = new Body.Raw(BlobSource.of(MESSAGE));
    cancelled.body(original);
    cancelled.cancel();
    new Chain(List.of(f.get(), new Harness.Output())).update(cancelled, new Delta(true, List.of(0), true));
    assertThat(cancelled.body()).isSameAs(original);
    FilterTx builder = tx(Mailbox.of("a@b.example"), "bob@example.com");
    Body.Builder spec = new Body.Builder(JsonNodeFactory.instance.objectNode(), java.util.Map.of());
    builder.body(spec);
    new Chain(List.of(f.get(), new Harness.Output())).update(builder, new Delta(true, List.of(0), true));
    assertThat(builder.body()).isSameAs(spec);
  }

  @Test
  void hostnameOptionAndItsErrors() throws IOException {
    var stanzas = Harness.stanzas("""
        - filter: received_header
          received_hostname: relay.example
        - filter: received_header
          received_hostname: two words
        - filter: received_header
          received_host: typo
        """);
    ReceivedHeaderFilter.Factory factory = new ReceivedHeaderFilter.Factory(CLOCK, "default.example");
    FilterTx tx = tx(Mailbox.of("a@b.example"), "bob@example.com");
    tx.body(new Body.Raw(BlobSource.of(MESSAGE)));
    new Chain(List.of(factory.prepare(stanzas.get(0)).get(), new Harness.Output()))
        .update(tx, new Delta(true, List.of(0), true));
    assertThat(new String(((Body.Raw) tx.body()).blob().readAll(), StandardCharsets.UTF_8))
        .startsWith("Received: by relay.example\r\n");
    assertThatThrownBy(() -> factory.prepare(stanzas.get(1))).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("r.yaml:" + (Harness.CHAIN_FIRST_LINE + 3) + ":")
        .hasMessageContaining("received_hostname");
    assertThatThrownBy(() -> factory.prepare(stanzas.get(2))).isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("r.yaml:" + (Harness.CHAIN_FIRST_LINE + 5) + ":")
        .hasMessageContaining("received_host");
  }
}
