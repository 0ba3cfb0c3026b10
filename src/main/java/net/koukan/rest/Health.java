package net.koukan.rest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import net.koukan.tx.TxJson;

/**
 * {@code GET /readyz}: 200 {@code {"status":"ready"}} when every check passes, else 503 with the
 * JSON error {@code not_ready} naming the first that failed. ({@code /healthz}, "the process is
 * up", is {@link RestServer}'s.) Each check runs on its own virtual thread and counts as failed if
 * it takes longer than the timeout, so a hanging database cannot hang the probe.
 */
public final class Health {
  /** How long one readiness check may take. */
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

  /** A readiness check: empty when fine, else what is wrong. It may throw. */
  @FunctionalInterface
  public interface Check extends Supplier<Optional<String>> {}

  private Health() {}

  /** Registers {@code GET /readyz} running {@code checks} in order. */
  public static void readyz(HttpRouting.Builder r, Map<String, Check> checks) {
    r.get("/readyz", (req, res) -> {
      Optional<String> problem = firstProblem(checks);
      res.header(HeaderNames.CONTENT_TYPE, "application/json");
      if (problem.isEmpty()) {
        res.send("{\"status\":\"ready\"}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      ObjectNode o = TxJson.MAPPER.createObjectNode();
      o.put("code", "not_ready");
      o.put("message", problem.get());
      res.status(503);
      res.send(o.toString().getBytes(StandardCharsets.UTF_8));
    });
  }

  static Optional<String> firstProblem(Map<String, Check> checks) {
    for (Map.Entry<String, Check> c : checks.entrySet()) {
      CompletableFuture<Optional<String>> f = new CompletableFuture<>();
      Thread.ofVirtual().name("readyz-" + c.getKey()).start(() -> {
        try {
          f.complete(c.getValue().get());
        } catch (RuntimeException e) {
          f.complete(Optional.of(e.getMessage() == null ? e.toString() : e.getMessage()));
        }
      });
      try {
        Optional<String> p = f.get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (p.isPresent()) {
          return Optional.of(c.getKey() + ": " + p.get());
        }
      } catch (TimeoutException e) {
        return Optional.of(c.getKey() + ": no answer within " + CHECK_TIMEOUT.toMillis() + " ms");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.of("interrupted");
      } catch (ExecutionException e) {
        return Optional.of(c.getKey() + ": " + e.getCause());
      }
    }
    return Optional.empty();
  }
}
