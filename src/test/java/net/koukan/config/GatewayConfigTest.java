package net.koukan.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {
  @Test
  void localTestGatewayLoads() {
    Path file = Path.of("config/local-test/gateway.yaml");
    GatewayConfig c = GatewayConfig.load(file);
    assertThat(c.smtpListener().services()).extracting(s -> s.addr().port()).containsExactly(1025, 1587, 1465);
    assertThat(c.restListener().addr().port()).isEqualTo(8001);
    assertThat(c.smtpOutput().hosts()).containsKey("outbound");
    assertThat(c.smtpOutput().hosts().get("outbound").asFilter("smtp_output").line()).isEqualTo(31);
    assertThat(c.smtpListener().services().get(1).requireAuth()).isTrue();
  }

  @Test
  void errorsNameFileLineAndKey() {
    String ok = """
        smtp_listener:
          services:
          - {addr: ["127.0.0.1", 1025], endpoint: r, sender: ingress}
        rest_output:
        - {name: r, endpoint: "http://127.0.0.1:8000/senders/ingress/transactions"}
        """;
    assertThat(GatewayConfig.parse(ok, "g.yaml").smtpListener().services()).hasSize(1);
    assertThatThrownBy(() -> GatewayConfig.parse(ok.replace("endpoint: r,", "endpoint: nope,"), "g.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("g.yaml:3:").hasMessageContaining("no rest_output named");
    assertThatThrownBy(() -> GatewayConfig.parse(ok.replace("sender: ingress}", "sender: ingress, auth_secrets: s.json}"), "g.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("AUTH is only offered over TLS");
    assertThatThrownBy(() -> GatewayConfig.parse(ok.replace("sender: ingress}", "sender: ingress, bare_lf: maybe}"), "g.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("reject or normalize");
    assertThatThrownBy(() -> GatewayConfig.parse(ok.replace("sender: ingress}", "sender: ingress, require_auth: true, auth_exempt_networks: [10.0.0.0/33]}"), "g.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not a CIDR");
    assertThatThrownBy(() -> GatewayConfig.parse(ok.replace("sender: ingress}", "sender: ingress, sendr: x}"), "g.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("g.yaml:3:").hasMessageContaining("sendr");
  }

  @Test
  void cidrMatching() throws Exception {
    Cidr c = Cidr.parse("127.0.0.0/8");
    assertThat(c.contains(java.net.InetAddress.getByName("127.1.2.3"))).isTrue();
    assertThat(c.contains(java.net.InetAddress.getByName("128.0.0.1"))).isFalse();
    assertThat(Cidr.parse("::1/128").contains(java.net.InetAddress.getByName("::1"))).isTrue();
    assertThat(Cidr.parse("10.1.2.0/23").contains(java.net.InetAddress.getByName("10.1.3.200"))).isTrue();
    assertThat(Cidr.valid("example.com")).isFalse();
  }
}
