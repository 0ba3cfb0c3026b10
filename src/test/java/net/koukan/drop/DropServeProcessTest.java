package net.koukan.drop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.smtp.ListenerConfig;
import net.koukan.smtp.Sink;
import net.koukan.smtp.SmtpServer;
import net.koukan.testing.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code koukan drop serve} as a separate process configured by the seed's SwiftDrop environment
 * (Keystone v3 and all), pointed at the local Swift: a fake Keystone in this JVM hands out a real
 * tempauth token and a catalog naming the real Swift, so the whole v3 path runs against it.
 */
class DropServeProcessTest {
  @TempDir Path dir;
  HttpServer keystone;
  SmtpServer relay;
  Process process;

  @BeforeEach
  void fakeKeystone() throws IOException {
    SwiftSaio swift = SwiftSaio.get();
    SwiftClient real = swift.client();
    ObjectMapper json = new ObjectMapper();
    keystone = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 10);
    keystone.createContext("/v3/auth/tokens", ex -> {
      var req = json.readTree(ex.getRequestBody());
      var user = req.at("/auth/identity/password/user");
      boolean ok = user.path("name").asText().equals("myuser") && user.path("password").asText().equals("xxx")
          && user.at("/domain/name").asText().equals("user_domain")
          && req.at("/auth/scope/project/name").asText().equals("project")
          && req.at("/auth/scope/project/domain/name").asText().equals("project_domain");
      if (!ok) {
        ex.sendResponseHeaders(401, -1);
        ex.close();
        return;
      }
      SwiftClient.Token t = real.token();
      ObjectNode body = json.createObjectNode();
      ObjectNode token = body.putObject("token");
      token.put("expires_at", "2099-01-01T00:00:00.000000Z");
      ObjectNode svc = token.putArray("catalog").addObject();
      svc.put("type", "object-store");
      ObjectNode ep = svc.putArray("endpoints").addObject();
      ep.put("interface", "public");
      ep.put("region", "RegionOne");
      ep.put("url", t.storageUrl().toString());
      byte[] b = json.writeValueAsBytes(body);
      ex.getResponseHeaders().add("X-Subject-Token", t.token());
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(201, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    keystone.start();
    relay = new SmtpServer(ListenerConfig.builder(new Sink(dir, System.out, Clock.systemUTC())).build());
    relay.start();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (process != null) {
      process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
    relay.close();
    keystone.stop(0);
  }

  Map<String, String> seedEnv(String acceptance, String production, int port) {
    Map<String, String> env = SwiftDropEnvTest.seed();
    env.put("SWIFTDROP_DEFAULT_CONTAINER", acceptance);
    env.put("SWIFTDROP_PRODUCTION_CONTAINER", production);
    env.put("SWIFTDROP_DEFAULT_AUTHURL", "http://127.0.0.1:" + keystone.getAddress().getPort() + "/v3");
    env.put("FORWARDS", "{\"postmaster@example.com\": \"hostmaster@example.net\"}");
    env.put("POSTMASTER", "postmaster@example.com");
    env.put("DROP_FORWARD_RELAY", "127.0.0.1:" + relay.port());
    env.put("DROP_LISTEN", "127.0.0.1:" + port);
    return env;
  }

  Process start(Map<String, String> env, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "net.koukan.cli.Main", "drop", "serve")
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SWIFTDROP_") || k.startsWith("DROP_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  @Test
  void seedEnvironmentDeliversToTheRightContainersAndForwards() throws Exception {
    SwiftSaio swift = SwiftSaio.get();
    String acc = swift.newContainer("acceptance");
    String prod = swift.newContainer("production");
    int port = Ports.free();
    Path log = dir.resolve("drop.log");
    process = start(seedEnv(acc, prod, port), log);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!process.isAlive()) {
        throw new AssertionError("drop serve exited " + process.exitValue() + ":\n" + Files.readString(log));
      }
      return Files.readString(log).contains("koukan drop: listening on 127.0.0.1:" + port);
    });
    byte[] msg = "Subject: seed\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(DropHarness.send(port, "s@example.org", List.of("whatever@example.com"), msg)).startsWith("250 ");
    assertThat(DropHarness.send(port, "s@example.org", List.of("SwiftDrop@example.com"), msg)).startsWith("250 ");
    assertThat(DropHarness.send(port, "s@example.org", List.of("postmaster@example.com"), msg)).startsWith("250 ");
    assertThat(DropHarness.send(port, "s@example.org", List.of("stranger@example.com"), msg)).startsWith("550 5.1.1");
    assertThat(swift.names(acc, "cur/")).hasSize(1);
    assertThat(swift.names(prod, "cur/")).hasSize(1);
    assertThat(swift.client().get(prod, swift.names(prod, "cur/").get(0)).body()).isEqualTo(msg);
    try (var s = Files.list(dir)) {
      assertThat(s.filter(p -> p.getFileName().toString().endsWith(".json")).count()).isEqualTo(1);
    }
    assertThat(Files.readString(dir.resolve("1.json"))).contains("hostmaster@example.net");
  }

  @Test
  void wrongCredentialsRefuseToStartNamingTheContainers() throws Exception {
    SwiftSaio.get();
    Map<String, String> env = seedEnv("acceptance-x", "production-x", Ports.free());
    env.put("SWIFTDROP_DEFAULT_KEY", "wrong");
    Path log = dir.resolve("bad.log");
    process = start(env, log);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(log);
    assertThat(process.exitValue()).as(out).isEqualTo(2);
    assertThat(out).contains("start-up check failed for 2 of 2")
        .contains("section DEFAULT: container acceptance-x")
        .contains("section PRODUCTION: container production-x").contains("401");
  }
}
