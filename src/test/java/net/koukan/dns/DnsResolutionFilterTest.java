package net.koukan.dns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Chain;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
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

/** dns_resolution against a real DNS server (dnsmasq on loopback). */
class DnsResolutionFilterTest {
  @TempDir static Path dir;
  static Dnsmasq dns;

  @BeforeAll
  static void startDns() throws Exception {
    dns = Dnsmasq.start(dir,
        "--local=/test/", "--local=/example.com/",
        "--mx-host=example.com,mx2.example.com,20", "--mx-host=example.com,mx1.example.com,10",
        "--host-record=mx1.example.com,192.0.2.1", "--host-record=mx2.example.com,192.0.2.2,2001:db8::2",
        "--host-record=plain.test,192.0.2.9",
        "--dns-rr=nullmx.test,15,000000",
        "--host-record=nullmx.test,192.0.2.10",
        "--server=/temp.test/127.0.0.1#9");
  }

  @AfterAll
  static void stopDns() throws Exception {
    dns.close();
  }

  /** Records the resolution the output sees. */
  static final class Capture implements Filter {
    final List<List<HostPort>> seen = new ArrayList<>();

    @Override
    public void update(FilterTx tx, Delta delta, Next next) {
      seen.add(tx.resolution());
      tx.fillUnanswered(delta, new Response(250, "ok"));
    }
  }

  FilterTx run(String options, String mailFrom, String rcpt, String routedHost) throws Exception {
    ObjectNode o = (ObjectNode) TxJson.MAPPER.readTree(options);
    o.put("resolver", dns.address());
    o.put("timeout", 2);
    Filter f = new DnsResolutionFilter.Factory().prepare(new FilterStanza("dns_resolution", o, "t.yaml", 1)).get();
    FilterTx tx = new FilterTx(null, "s", null);
    tx.mailFrom(Mailbox.of(mailFrom));
    int i = tx.addRcpt(Mailbox.of(rcpt));
    if (routedHost != null) {
      tx.resolution(List.of(new HostPort(routedHost, 25)));
    }
    new Chain(List.of(f, new Capture())).update(tx, new Delta(true, List.of(i), false));
    return tx;
  }

  @Test
  void mxTargetsByPreferenceWithTheirAddresses() throws Exception {
    FilterTx tx = run("{\"suffix\": \"\"}", "a@example.com", "b@example.com", "example.com");
    assertThat(tx.resolution()).containsExactly(new HostPort("192.0.2.1", 25), new HostPort("192.0.2.2", 25),
        new HostPort("2001:db8:0:0:0:0:0:2", 25));
    assertThat(tx.filterOutput().at("/dns_resolution/resolution_result").asText()).isEqualTo("OK");
    assertThat(tx.filterOutput().at("/dns_resolution/mail_result").asText()).isEqualTo("OK");
    assertThat(tx.filterOutput().at("/dns_resolution/rcpt_result/0").asText()).isEqualTo("OK");
  }

  @Test
  void withoutMxTheDomainIsItsOwnHost() throws Exception {
    FilterTx tx = run("{}", "a@plain.test", "b@plain.test", "plain.test");
    assertThat(tx.resolution()).containsExactly(new HostPort("192.0.2.9", 25));
  }

  @Test
  void nullMxNxdomainAndServfail() throws Exception {
    FilterTx nullMx = run("{}", "a@nullmx.test", "b@nullmx.test", "nullmx.test");
    assertThat(nullMx.resolution()).isNull();
    assertThat(nullMx.filterOutput().at("/dns_resolution/resolution_result").asText()).isEqualTo("NX");
    assertThat(nullMx.filterOutput().at("/dns_resolution/rcpt_result/0").asText()).isEqualTo("NX");
    FilterTx nx = run("{}", "a@nope.test", "b@nope.test", "nope.test");
    assertThat(nx.filterOutput().at("/dns_resolution/resolution_result").asText()).isEqualTo("NX");
    assertThat(nx.filterOutput().at("/dns_resolution/mail_result").asText()).isEqualTo("NX");
    FilterTx temp = run("{}", "a@example.com", "b@x.temp.test", "x.temp.test");
    assertThat(temp.filterOutput().at("/dns_resolution/resolution_result").asText()).isEqualTo("TEMP");
    assertThat(temp.filterOutput().at("/dns_resolution/rcpt_result/0").asText()).isEqualTo("TEMP");
    assertThat(temp.resolution()).isNull();
  }

  @Test
  void staticHostsLiteralsAndNonMatchingNames() throws Exception {
    FilterTx st = run("{\"literal\": \"fake_smtpd\", \"static_hosts\": [{\"host\": \"127.0.0.1\", \"port\": 3025}]}",
        "a@example.com", "b@example.com", "fake_smtpd");
    assertThat(st.resolution()).containsExactly(new HostPort("127.0.0.1", 3025));
    FilterTx other = run("{\"suffix\": \".invalid\"}", "a@example.com", "b@example.com", "example.com");
    assertThat(other.resolution()).containsExactly(new HostPort("example.com", 25)); // not ours to resolve
    FilterTx ip = run("{}", "a@example.com", "b@example.com", "203.0.113.7");
    assertThat(ip.resolution()).containsExactly(new HostPort("203.0.113.7", 25));
  }
}
