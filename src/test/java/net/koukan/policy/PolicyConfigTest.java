package net.koukan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import net.koukan.config.ConfigException;
import net.koukan.config.EndpointConfig;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Start-up errors name the file and the line of the offending key; plugins; the shipped config. */
class PolicyConfigTest {
  @TempDir Path dir;

  /**
   * A rule whose YAML has a mistake on {@code line} (1-based within the rule) and the words the
   * message must contain.
   */
  record Bad(String yaml, int line, String words) {
    @Override
    public String toString() {
      return words;
    }
  }

  static List<Bad> mistakes() {
    return List.of(
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: no_such_matcher
            """, 4, "unknown matcher no_such_matcher"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                any:
                - matcher: smtp_tls
                - matcher: smtp_auth
                  bogus: 1
            """, 7, "bogus"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                all:
                - matcher: smtp_tls
                - not:
                    matcher: typo_tls
            """, 7, "unknown matcher typo_tls"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                any:
                - matcher: smtp_tls
                - just a string
            """, 6, "mapping"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                any: []
            """, 4, "must not be empty"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: smtp_tls
                any: []
            """, 5, "any"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                either: []
            """, 4, "unknown key"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: network_address
                cidr: 10.0.0.0/33
            """, 5, "bad prefix"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: network_address
            """, 4, "needs cidr"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: num_rcpts
                max_rcpts: -1
            """, 5, "max_rcpts"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: invalid_rcpt_to
            """, 4, "needs mode: PER_RCPT"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: dns_resolution
                rcpt_result: NX
            """, 4, "needs mode: PER_RCPT"),
        new Bad("""
            - filter: policy_action
              tag: t
              mode: PER_RCPT
              match:
                matcher: address_list
                which_addr: envelope_to
            """, 6, "which_addr"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: address_list
                domain: [example.com]
            """, 5, "domain"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: koukan.message_validation_filter.MessageValidationFilter
                validity_threshold: PERFECT
            """, 5, "validity_threshold"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: dkim_check
                alignment: domain
                domains: [example.com]
            """, 6, "not both"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: spf_check
                extra_domain: example.net
            """, 5, "extra_domain_result go together"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: remote_host
                fcrdns: "yes"
            """, 5, "fcrdns"),
        new Bad("""
            - filter: policy_action
              tag: t
              match:
                matcher: policy_action
            """, 4, "needs tag or rule"),
        new Bad("""
            - filter: policy_action
              match: {matcher: smtp_tls}
              action: REJECT
            """, 1, "tag"),
        new Bad("""
            - filter: policy_action
              tag: t
              action: DROP
            """, 3, "unknown action DROP"),
        new Bad("""
            - filter: policy_action
              tag: t
              action: [0.9: LOG]
            """, 3, "[weight, ACTION]"),
        new Bad("""
            - filter: policy_action
              tag: t
              action: [[0, LOG], [0, REJECT]]
            """, 3, "add up to 0"),
        new Bad("""
            - filter: policy_action
              tag: t
              action: [[-1, LOG], [2, REJECT]]
            """, 3, "not negative"),
        new Bad("""
            - filter: policy_action
              tag: t
              mode: per_rcpt
            """, 3, "PER_RCPT"),
        new Bad("""
            - filter: policy_action
              tag: t
              action: REJECT
              code: 250
            """, 4, "4xx or 5xx"),
        new Bad("""
            - filter: policy_action
              tag: t
              match: smtp_tls
            """, 3, "mapping"),
        new Bad("""
            - filter: policy_action
              tag: t
              actoin: REJECT
            """, 3, "actoin"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void startUpErrorsNameTheLine(Bad bad) {
    FilterStanza s = Harness.stanzas(bad.yaml()).get(0);
    int line = Harness.CHAIN_FIRST_LINE + bad.line() - 1;
    assertThatThrownBy(() -> Harness.factory().prepare(s))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("r.yaml:" + line + ":")
        .hasMessageContaining(bad.words());
  }

  @Test
  void extraMatchersMayNotShadowBuiltIns() {
    TransactionMatcher.Factory f = new SimpleMatchers.Named("smtp_tls", a -> (tx, r) -> MatchResult.MATCH);
    assertThatThrownBy(() -> new PolicyActionFilter.Factory(Map.of("smtp_tls", f), new Random()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("modules.transaction_matcher.smtp_tls");
    assertThat(Harness.factory().matcherNames()).contains("network_address", "smtp_tls", "smtp_auth",
        "address_list", "num_rcpts", "invalid_mail_from", "invalid_rcpt_to", "message_validation",
        "dkim_check", "spf_check", "dns_resolution", "remote_host", "policy_action",
        "koukan.dkim_check_filter.DkimCheckFilter", "koukan.remote_host_filter.RemoteHostFilter",
        "koukan.mx_resolution.DnsResolutionFilter", "koukan.message_validation_filter.MessageValidationFilter",
        "koukan.spf_check_filter.SpfCheckFilter", "koukan.policy_action_filter.PolicyActionFilter");
  }

  static final String PLUGIN = """
      package example.matcher;

      import net.koukan.config.FilterStanza;
      import net.koukan.policy.MatchResult;
      import net.koukan.policy.TransactionMatcher;

      public final class DomainMatcher implements TransactionMatcher.Factory {
        public record Args(String domain) {}

        @Override public String name() { return "sender_domain"; }

        @Override public TransactionMatcher create(FilterStanza args) {
          Args a = args.bind(Args.class);
          if (a.domain() == null) {
            throw args.error("domain", "required");
          }
          return (tx, rcpt) -> tx.mailFrom() == null ? MatchResult.PRECONDITION_UNMET
              : MatchResult.of(tx.mailFrom().domain().equalsIgnoreCase(a.domain()));
        }
      }
      """;

  Path buildJar() throws IOException {
    Path src = dir.resolve("src/example/matcher/DomainMatcher.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, PLUGIN);
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp",
        System.getProperty("java.class.path"), src.toString());
    assertThat(rc).isZero();
    Path jar = dir.resolve("plugins/matcher.jar");
    Files.createDirectories(jar.getParent());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (String c : List.of("DomainMatcher", "DomainMatcher$Args")) {
        out.putNextEntry(new JarEntry("example/matcher/" + c + ".class"));
        Files.copy(classes.resolve("example/matcher/" + c + ".class"), out);
      }
      out.putNextEntry(new JarEntry("META-INF/services/net.koukan.policy.TransactionMatcher$Factory"));
      out.write("example.matcher.DomainMatcher\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  @Test
  void pluginMatcherFromAJar() throws IOException {
    buildJar();
    RouterConfig cfg = RouterConfig.parse("""
        rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
        sender: [{name: s, output_chain: c}]
        endpoint:
        - name: c
          chain:
          - filter: policy_action
            tag: partner
            match: {matcher: sender_domain, domain: spam.example}
            action: REJECT
          - filter: policy_action
            tag: partner
            match:
              matcher: sender_domain
              domian: oops
        modules:
          transaction_matcher: {sender_domain: plugins/matcher.jar}
        """, "r.yaml");
    Map<String, TransactionMatcher.Factory> plugins =
        TransactionMatchers.loadPlugins(cfg.modules().transactionMatcher(), dir);
    assertThat(plugins).containsOnlyKeys("sender_domain");
    PolicyActionFilter.Factory f = new PolicyActionFilter.Factory(plugins, new Random());
    var rule = f.prepare(cfg.endpoint().get(0).chain().get(0));
    for (String from : List.of("x@spam.example", "x@ok.example")) {
      FilterTx tx = Harness.tx(from);
      Harness.chain(List.of(rule.get()), new Harness.Output()).update(tx, new Delta(true, List.of(), false));
      assertThat(tx.mailResponse().code()).isEqualTo(from.endsWith("spam.example") ? 550 : 250);
    }
    assertThatThrownBy(() -> f.prepare(cfg.endpoint().get(0).chain().get(1)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("r.yaml:14:").hasMessageContaining("domian");
    assertThatThrownBy(() -> TransactionMatchers.loadPlugins(Map.of("other", "plugins/matcher.jar"), dir))
        .isInstanceOf(ConfigException.class).hasMessageContaining("provides no Factory named other");
  }

  @Test
  void theShippedLocalTestConfigPrepares() {
    RouterConfig cfg = RouterConfig.load(Path.of("config/local-test/router.yaml"));
    PolicyActionFilter.Factory policy = Harness.factory();
    ReceivedHeaderFilter.Factory received = new ReceivedHeaderFilter.Factory(Clock.systemUTC(), "localhost");
    MessageValidationFilter.Factory validation = new MessageValidationFilter.Factory();
    int rules = 0;
    for (EndpointConfig e : cfg.endpoint()) {
      for (FilterStanza s : e.chain()) {
        switch (s.filter()) {
          case "policy_action" -> {
            assertThat(policy.prepare(s).get()).isNotNull();
            rules++;
          }
          case "received_header" -> assertThat(received.prepare(s).get()).isNotNull();
          case "message_validation" -> assertThat(validation.prepare(s).get()).isNotNull();
          default -> { }
        }
      }
    }
    assertThat(rules).isGreaterThan(10);
  }
}
