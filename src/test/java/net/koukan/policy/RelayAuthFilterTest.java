package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import net.koukan.config.ConfigException;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.tx.HostPort;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.junit.jupiter.api.Test;

class RelayAuthFilterTest {
  static FilterTx run(Boolean auth, String ip) {
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    o.putArray("exempt_networks").add("192.0.2.0/24");
    var f = new RelayAuthFilter.Factory().prepare(new FilterStanza("relay_auth", o, "r.yaml", 3)).get();
    FilterTx tx = new FilterTx(null, "submission", null);
    if (auth != null) {
      tx.smtpMeta(TxJson.MAPPER.createObjectNode().put("auth", auth));
    }
    if (ip != null) {
      tx.remoteHost(new HostPort(ip, 40000));
    }
    tx.mailFrom(Mailbox.of("a@example.com"));
    tx.addRcpt(Mailbox.of("b@elsewhere.example"));
    new Chain(List.of(f, (t, d, n) -> t.fillUnanswered(d, new Response(250, "ok"))))
        .update(tx, new Delta(true, List.of(0), false));
    return tx;
  }

  @Test
  void authenticatedExemptAndRestPass() {
    assertThat(run(true, "198.51.100.1").rcptResponse(0).code()).isEqualTo(250);
    assertThat(run(false, "192.0.2.7").rcptResponse(0).code()).isEqualTo(250);
    assertThat(run(null, null).rcptResponse(0).code()).isEqualTo(250);
  }

  @Test
  void anonymousSmtpFromElsewhereIsDenied() {
    FilterTx tx = run(false, "198.51.100.1");
    assertThat(tx.mailResponse()).isEqualTo(RelayAuthFilter.DENIED);
    assertThat(tx.rcptResponse(0)).isEqualTo(RelayAuthFilter.DENIED);
  }

  @Test
  void badNetworkNamesTheKey() {
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    o.putArray("exempt_networks").add("not-a-net");
    assertThatThrownBy(() -> new RelayAuthFilter.Factory().prepare(new FilterStanza("relay_auth", o, "r.yaml", 3)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exempt_networks");
  }
}
