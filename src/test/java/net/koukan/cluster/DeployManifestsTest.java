package net.koukan.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.koukan.config.GatewayConfig;
import net.koukan.config.RouterConfig;
import net.koukan.testing.RouterProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The container image recipe and the kustomize base in {@code deploy/base}: the files hang
 * together, the embedded router and gateway configs pass our own config check, the Deployments
 * have what the issue asks (replicas, pod-IP session_uri, probes on /healthz and /readyz,
 * resource limits, a non-root user), and {@code kubectl kustomize} renders the expected objects
 * (required under CI=true; skipped elsewhere when kubectl is missing).
 */
class DeployManifestsTest {
  static final Path ROOT = RouterProcess.repoRoot();
  static final Path BASE = ROOT.resolve("deploy/base");
  static final YAMLMapper YAML = new YAMLMapper();

  static JsonNode yaml(Path p) throws IOException {
    return YAML.readTree(Files.readString(p));
  }

  static List<JsonNode> docs(String text) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /** kind/name → object, over every resource file of the base (before kustomize). */
  static Map<String, JsonNode> sources() throws IOException {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode r : yaml(BASE.resolve("kustomization.yaml")).get("resources")) {
      Path f = BASE.resolve(r.asText());
      assertThat(f).as("resource %s", r.asText()).exists();
      for (JsonNode d : docs(Files.readString(f))) {
        out.put(d.get("kind").asText() + "/" + d.at("/metadata/name").asText(), d);
      }
    }
    return out;
  }

  static String filled(String file) throws IOException {
    return Files.readString(BASE.resolve(file)).replace("__POD_IP__", "10.1.2.3")
        .replace("__STORAGE_URL__", "jdbc:postgresql://postgres:5432/koukan?user=koukan");
  }

  @Test
  void theConfigsInTheConfigMapsPassTheConfigCheck() throws IOException {
    RouterConfig r = RouterConfig.parse(filled("router.yaml"), "deploy/base/router.yaml");
    assertThat(r.restListener().sessionUri()).isEqualTo("http://10.1.2.3:8000");
    assertThat(r.restListener().serviceUri()).isEqualTo("http://koukan-router:8000");
    assertThat(r.storage().url()).startsWith("jdbc:postgresql:");
    GatewayConfig g = GatewayConfig.parse(filled("gateway.yaml"), "deploy/base/gateway.yaml");
    assertThat(g.smtpListener().services()).isNotEmpty();
    for (JsonNode gen : yaml(BASE.resolve("kustomization.yaml")).get("configMapGenerator")) {
      for (JsonNode f : gen.get("files")) {
        assertThat(BASE.resolve(f.asText())).exists();
      }
    }
    assertThat(Files.readString(BASE.resolve("start.sh"))).contains("__POD_IP__", "__STORAGE_URL__");
  }

  @Test
  void deploymentsHaveReplicasPodIpProbesLimitsAndANonRootUser() throws IOException {
    Map<String, JsonNode> objs = sources();
    assertThat(objs).containsKeys("Deployment/koukan-router", "Deployment/koukan-gateway",
        "Service/koukan-router", "Service/koukan-gateway", "Service/koukan-gateway-smtp",
        "PodDisruptionBudget/koukan-router");
    JsonNode router = objs.get("Deployment/koukan-router");
    assertThat(router.at("/spec/replicas").asInt()).isGreaterThanOrEqualTo(2);
    for (String name : new String[] {"Deployment/koukan-router", "Deployment/koukan-gateway"}) {
      JsonNode pod = objs.get(name).at("/spec/template/spec");
      JsonNode c = pod.at("/containers/0");
      assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).as(name).isTrue();
      assertThat(c.at("/livenessProbe/httpGet/path").asText()).as(name).isEqualTo("/healthz");
      assertThat(c.at("/readinessProbe/httpGet/path").asText()).as(name).isEqualTo("/readyz");
      assertThat(c.at("/resources/limits/memory").asText()).as(name).isNotEmpty();
      assertThat(c.at("/resources/limits/cpu").asText()).as(name).isNotEmpty();
      boolean podIp = false;
      for (JsonNode e : c.get("env")) {
        podIp |= e.get("name").asText().equals("POD_IP")
            && e.at("/valueFrom/fieldRef/fieldPath").asText().equals("status.podIP");
      }
      assertThat(podIp).as(name + " gets its pod IP for session_uri").isTrue();
    }
    JsonNode storageEnv = null;
    for (JsonNode e : router.at("/spec/template/spec/containers/0/env")) {
      if (e.get("name").asText().equals("KOUKAN_STORAGE_URL")) {
        storageEnv = e;
      }
    }
    assertThat(storageEnv).as("PostgreSQL comes from a Secret (external dependency)").isNotNull();
    assertThat(storageEnv.at("/valueFrom/secretKeyRef/name").asText()).isEqualTo("koukan-postgres");
  }

  @Test
  void theDockerfileIsMultiStageWithAJreAndANonRootUser() throws IOException {
    String df = Files.readString(ROOT.resolve("Dockerfile"));
    List<String> froms = df.lines().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).hasSize(2);
    assertThat(froms.get(0)).contains(" AS build");
    assertThat(froms.get(1)).contains("-jre");
    assertThat(df).contains("USER 10001", "COPY --from=build", "koukan.jar");
    assertThat(Files.readString(ROOT.resolve(".dockerignore"))).contains("!src/", "!pom.xml");
  }

  @Test
  void kubectlKustomizeRendersTheExpectedObjects() throws Exception {
    String out = render();
    Map<String, JsonNode> objs = new LinkedHashMap<>();
    for (JsonNode d : docs(out)) {
      objs.put(d.get("kind").asText() + "/" + d.at("/metadata/name").asText(), d);
    }
    assertThat(objs.keySet()).contains("Deployment/koukan-router", "Deployment/koukan-gateway",
        "Service/koukan-router", "Service/koukan-gateway", "Service/koukan-gateway-smtp",
        "PodDisruptionBudget/koukan-router");
    List<String> configMaps = objs.keySet().stream().filter(k -> k.startsWith("ConfigMap/")).toList();
    assertThat(configMaps).hasSize(2);
    for (JsonNode o : objs.values()) {
      assertThat(o.at("/metadata/labels/app.kubernetes.io~1part-of").asText())
          .as("common label on %s", o.at("/metadata/name").asText()).isEqualTo("koukan");
    }
    // the Deployments mount the generated (hash-suffixed) ConfigMaps, which hold the files
    for (String d : new String[] {"koukan-router", "koukan-gateway"}) {
      JsonNode dep = objs.get("Deployment/" + d);
      String cm = dep.at("/spec/template/spec/volumes/0/configMap/name").asText();
      assertThat(cm).startsWith(d + "-");
      JsonNode data = objs.get("ConfigMap/" + cm).get("data");
      assertThat(data.has("start.sh")).isTrue();
      assertThat(data.has(d.substring("koukan-".length()) + ".yaml")).isTrue();
      assertThat(dep.at("/spec/template/spec/containers/0/image").asText()).startsWith("koukan");
    }
  }

  /** {@code kubectl kustomize deploy/base}, or skip (fail under CI=true) without kubectl. */
  static String render() throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("kubectl", "kustomize", BASE.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    } catch (IOException e) {
      String msg = "kubectl not found: " + e.getMessage();
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(msg + " (CI=true: .ci/run installs it)", e);
      }
      Assumptions.abort(msg);
      return null;
    }
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("kubectl kustomize exit status").isZero();
    return new String(out, StandardCharsets.UTF_8);
  }
}
