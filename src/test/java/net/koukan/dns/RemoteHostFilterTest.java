package net.koukan.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.testing.Dnsmasq;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteHostFilterTest {
  @TempDir static Path dir;
  static Dnsmasq dns;

  @BeforeAll
  static void startDns() throws Exception {
    dns = Dnsmasq.start(dir, "--local=/test/", "--local=/2.0.192.in-addr.arpa/",
        "--host-record=mx.peer.test,192.0.2.5",            // A + PTR: confirmed
        "--ptr-record=6.2.0.192.in-addr.arpa,liar.peer.test", // PTR only: not confirmed
        "--host-record=liar.peer.test,192.0.2.99");
  }

  @AfterAll
  static void stopDns() throws Exception {
    dns.close();
  }

  FilterTx run(String ip, String ehlo) throws Exception {
    ObjectNode o = TxJson.MAPPER.createObjectNode().put("resolver", dns.address()).put("timeout", 2);
    var f = new RemoteHostFilter.Factory().prepare(new FilterStanza("remote_host", o, "t.yaml", 1)).get();
    FilterTx tx = new FilterTx(null, "s", null);
    tx.remoteHost(new HostPort(ip, 41234));
    tx.smtpMeta(TxJson.MAPPER.createObjectNode().put("ehlo_host", ehlo));
    tx.mailFrom(Mailbox.of("a@peer.test"));
    new Chain(List.of(f, (t, d, n) -> t.fillUnanswered(d, new Response(250, "ok"))))
        .update(tx, new Delta(true, List.of(), false));
    return tx;
  }

  @Test
  void confirmedAndAligned() throws Exception {
    FilterTx tx = run("192.0.2.5", "mx.peer.test");
    assertThat(tx.mailResponse().code()).isEqualTo(250);
    assertThat(tx.filterOutput().get("remote_host").toString())
        .isEqualTo("{\"status\":\"OK\",\"ptr\":[\"mx.peer.test\"],\"fcrdns\":true,\"hostname\":\"mx.peer.test\",\"ehlo_alignment\":true}");
  }

  @Test
  void unconfirmedMisalignedAndMissing() throws Exception {
    FilterTx liar = run("192.0.2.6", "mx.other.test");
    assertThat(liar.filterOutput().at("/remote_host/fcrdns").asBoolean()).isFalse();
    assertThat(liar.filterOutput().at("/remote_host/ehlo_alignment").asBoolean()).isFalse();
    FilterTx none = run("192.0.2.7", "x");
    assertThat(none.filterOutput().at("/remote_host/status").asText()).isEqualTo("NOT_FOUND");
    assertThat(none.mailResponse().code()).isEqualTo(250);
  }
}
