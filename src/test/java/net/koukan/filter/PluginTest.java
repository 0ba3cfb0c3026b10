package net.koukan.filter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import net.koukan.config.ConfigException;
import net.koukan.config.RouterConfig;
import net.koukan.tx.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A plugin jar built in the test: loaded through {@code modules.sync_filter} with ServiceLoader. */
class PluginTest {
  @TempDir Path dir;

  static final String SOURCE = """
      package example.plugin;

      import java.util.function.Supplier;
      import net.koukan.config.FilterStanza;
      import net.koukan.filter.*;
      import net.koukan.tx.Response;

      public final class HelloFactory implements FilterFactory {
        public record Options(String greeting) {}

        @Override public String name() { return "hello"; }

        @Override public Supplier<Filter> prepare(FilterStanza stanza) {
          Options o = stanza.bind(Options.class);
          return () -> (tx, delta, next) -> {
            tx.filterOutput().put("hello", o.greeting());
            if (delta.mailFrom() && tx.mailFrom().address().startsWith("blocked")) {
              tx.mailResponse(new Response(550, "5.7.1 hello says no"));
            }
            next.update(tx, delta);
          };
        }
      }
      """;

  Path buildJar() throws IOException {
    Path src = dir.resolve("src/example/plugin/HelloFactory.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, SOURCE);
    Path classes = dir.resolve("classes");
    Files.createDirectories(classes);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-d", classes.toString(), "-cp",
        System.getProperty("java.class.path"), src.toString());
    assertThat(rc).isZero();
    Path jar = dir.resolve("plugins/hello.jar");
    Files.createDirectories(jar.getParent());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      out.putNextEntry(new JarEntry("example/plugin/HelloFactory.class"));
      Files.copy(classes.resolve("example/plugin/HelloFactory.class"), out);
      out.putNextEntry(new JarEntry("example/plugin/HelloFactory$Options.class"));
      Files.copy(classes.resolve("example/plugin/HelloFactory$Options.class"), out);
      out.putNextEntry(new JarEntry("META-INF/services/net.koukan.filter.FilterFactory"));
      out.write("example.plugin.HelloFactory\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    return jar;
  }

  @Test
  void pluginFilterRunsInAChain() throws Exception {
    buildJar();
    RouterConfig cfg = RouterConfig.parse("""
        rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
        sender: [{name: s, output_chain: c}]
        endpoint:
        - name: c
          chain:
          - filter: hello
            greeting: hi there
          - filter: sink
        modules:
          sync_filter: {hello: plugins/hello.jar}
        """, "r.yaml");
    FilterRegistry r = new FilterRegistry();
    r.register(new FilterFactory() {
      @Override
      public String name() {
        return "sink";
      }

      @Override
      public java.util.function.Supplier<Filter> prepare(net.koukan.config.FilterStanza s) {
        return () -> (tx, d, n) -> tx.fillUnanswered(d, new net.koukan.tx.Response(250, "ok"));
      }
    });
    r.loadPlugins(cfg.modules().syncFilter(), dir, "r.yaml");
    Chain chain = r.prepare(cfg).get("c").newChain();
    FilterTx ok = new FilterTx(null, "s", null);
    ok.mailFrom(Mailbox.of("alice@x"));
    chain.update(ok, new Delta(true, List.of(), false));
    assertThat(ok.mailResponse().code()).isEqualTo(250);
    assertThat(ok.filterOutput().get("hello").asText()).isEqualTo("hi there");
    FilterTx no = new FilterTx(null, "s", null);
    no.mailFrom(Mailbox.of("blocked@x"));
    r.prepare(cfg).get("c").newChain().update(no, new Delta(true, List.of(), false));
    assertThat(no.mailResponse().code()).isEqualTo(550);
  }

  @Test
  void missingJarOrNameIsAConfigError() throws Exception {
    buildJar();
    FilterRegistry r = new FilterRegistry();
    assertThatThrownBy(() -> r.loadPlugins(Map.of("hello", "plugins/nope.jar"), dir, "r.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("does not exist");
    assertThatThrownBy(() -> r.loadPlugins(Map.of("other", "plugins/hello.jar"), dir, "r.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("provides no FilterFactory named other")
        .hasMessageContaining("[hello]");
  }

  @Test
  void unknownFilterFailsWithTheStanzaLine() {
    RouterConfig cfg = RouterConfig.parse("""
        rest_listener: {addr: ["127.0.0.1", 8000], session_uri: "http://127.0.0.1:8000"}
        sender: [{name: s, output_chain: c}]
        endpoint:
        - name: c
          chain:
          - filter: typo_filter
        """, "r.yaml");
    FilterRegistry r = new FilterRegistry();
    assertThatThrownBy(() -> r.prepare(cfg.endpoint().get(0)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("r.yaml:6:").hasMessageContaining("typo_filter");
  }

}
