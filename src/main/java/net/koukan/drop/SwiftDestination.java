package net.koukan.drop;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.drop.swift.SwiftException;
import net.koukan.filter.BlobSource;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Swift container. Each message is one streamed PUT of {@code cur/<name>} with
 * {@code If-None-Match: *} (a 412 means the name exists: a new name is tried), {@code ETag} = MD5
 * of the bytes (422: sent once more, then 451), the configured Content-Type, the receipt as
 * {@code X-Object-Meta-*} (or in a sidecar {@code envelope/<name>.json}, stored first, when it
 * does not fit) and optionally {@code X-Delete-After}. Status mapping (drop spec §13.7): 201
 * stored; 413 → 552 5.3.4; 401 after one re-authentication, 403, 404 → 451 4.3.0 at once (a
 * configuration problem, logged as an error); 408/429/498/5xx/I-O errors/timeouts → retried with
 * backoff until the deadline, then 451 4.3.0. Nothing here is ever a permanent failure except size.
 */
public final class SwiftDestination implements Destination {
  private static final Logger log = LoggerFactory.getLogger(SwiftDestination.class);
  private static final int MAX_NAME_CONFLICTS = 5;
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final String name;
  private final SwiftClient client;
  private final String container;
  private final String contentType;
  private final Duration deleteAfter;
  private final ObjectNames names;
  private final Clock clock;

  /** {@code deleteAfter} null: keep forever. */
  public SwiftDestination(String name, SwiftClient client, String container, String contentType,
      Duration deleteAfter, ObjectNames names, Clock clock) {
    this.name = name;
    this.client = client;
    this.container = container;
    this.contentType = contentType;
    this.deleteAfter = deleteAfter;
    this.names = names;
    this.clock = clock;
  }

  @Override
  public String name() {
    return name;
  }

  public String container() {
    return container;
  }

  public SwiftClient client() {
    return client;
  }

  @Override
  public String describe() {
    return "swift container " + container + " (" + client.auth().describe() + ")";
  }

  @Override
  public StoreResult store(Receipt receipt, BlobSource content, Instant deadline) {
    int conflicts = 0;
    boolean checksumRetried = false;
    Duration backoff = FIRST_BACKOFF;
    String problem = "no attempt made";
    while (true) {
      Duration left = Duration.between(clock.instant(), deadline);
      if (left.isNegative() || left.isZero()) {
        return transientFailure("gave up after the store budget: " + problem);
      }
      String base = names.next(receipt.receivedAt(), content.length());
      String object = "cur/" + base;
      String sidecar = receipt.needsSidecar() ? Receipt.SIDECAR_PREFIX + base + ".json" : null;
      int status;
      try {
        if (sidecar != null) {
          Map<String, String> h = new LinkedHashMap<>();
          h.put("Content-Type", "application/json");
          h.put("If-None-Match", "*");
          if (deleteAfter != null) {
            h.put("X-Delete-After", Long.toString(deleteAfter.toSeconds()));
          }
          status = client.send("PUT", container, sidecar, null, h, receipt.json(object).length,
              () -> new java.io.ByteArrayInputStream(receipt.json(object)), left).status();
          if (status != 201) {
            problem = "HTTP " + status + " for the envelope sidecar " + sidecar;
          }
        } else {
          status = 201;
        }
        if (status == 201) {
          Map<String, String> h = new LinkedHashMap<>();
          h.put("Content-Type", contentType);
          h.put("ETag", receipt.md5());
          h.put("If-None-Match", "*");
          if (deleteAfter != null) {
            h.put("X-Delete-After", Long.toString(deleteAfter.toSeconds()));
          }
          h.putAll(receipt.metadata(sidecar));
          left = Duration.between(clock.instant(), deadline);
          if (left.isNegative() || left.isZero()) {
            discardSidecar(sidecar);
            return transientFailure("gave up after the store budget: " + problem);
          }
          status = client.send("PUT", container, object, null, h, content.length(), content::open, left).status();
          if (status == 201) {
            log.info("stored {}/{} ({} bytes, sha256 {})", container, object, content.length(), receipt.sha256());
            return new StoreResult.Stored(name, object);
          }
          problem = "HTTP " + status + " for PUT " + object;
          discardSidecar(sidecar);
        }
      } catch (SwiftException e) {
        discardSidecar(sidecar);
        if (!e.transientFailure()) {
          return configurationFailure(e.status(), e.getMessage());
        }
        problem = e.getMessage();
        status = -1;
      }
      switch (status) {
        case -1 -> { } // transient, below
        case 412 -> {
          if (++conflicts > MAX_NAME_CONFLICTS) {
            return transientFailure("412 for " + conflicts + " fresh names in a row");
          }
          continue;
        }
        case 422 -> {
          if (checksumRetried) {
            return transientFailure("Swift twice rejected the checksum (422)");
          }
          checksumRetried = true;
          continue;
        }
        case 413 -> {
          return new StoreResult.Failed(name, new Response(552,
              "5.3.4 message too big for the object store"), problem);
        }
        case 401, 403, 404 -> {
          return configurationFailure(status, problem);
        }
        default -> {
          if (!(status == 408 || status == 429 || status == 498 || status >= 500)) {
            return configurationFailure(status, problem);
          }
        }
      }
      // transient: back off, within the budget
      Duration wait = backoff;
      if (clock.instant().plus(wait).isAfter(deadline)) {
        return transientFailure("gave up within the store budget: " + problem);
      }
      log.warn("{}: {}; retrying in {} ms", describe(), problem, wait.toMillis());
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return transientFailure("interrupted: " + problem);
      }
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    }
  }

  private void discardSidecar(String sidecar) {
    if (sidecar != null) {
      discard(sidecar);
    }
  }

  private StoreResult transientFailure(String detail) {
    log.warn("{}: not stored: {}", describe(), detail);
    return new StoreResult.Failed(name, new Response(451,
        "4.3.0 temporary failure of the object store, please try again later"), detail);
  }

  private StoreResult configurationFailure(int status, String detail) {
    String what = switch (status) {
      case 401 -> "the object store refused our credentials";
      case 403 -> "the object store refused access to container " + container;
      case 404 -> "container " + container + " does not exist";
      default -> "the object store answered HTTP " + status;
    };
    log.error("{}: {} ({}); mail for section {} is deferred", describe(), what, detail, name);
    return new StoreResult.Failed(name, new Response(451, "4.3.0 " + what + ", please try again later"),
        detail);
  }

  @Override
  public void discard(String objectName) {
    try {
      client.delete(container, objectName);
    } catch (SwiftException e) {
      log.warn("{}: could not delete {} again: {}", describe(), objectName, e.getMessage());
    }
  }

  @Override
  public String check() {
    try {
      int s = client.headContainer(container);
      if (s / 100 == 2) {
        return null;
      }
      return "section " + name + ": container " + container + ": HEAD answered HTTP " + s
          + (s == 404 ? " (no such container)" : s == 401 ? " (credentials refused)" : "")
          + " [" + client.auth().describe() + "]";
    } catch (SwiftException e) {
      return "section " + name + ": container " + container + ": " + e.getMessage();
    }
  }

  @Override
  public DropQueue queue() {
    return new SwiftQueue(client, container, clock);
  }
}
