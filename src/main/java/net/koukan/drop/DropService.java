package net.koukan.drop;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.koukan.drop.swift.SwiftAuth;
import net.koukan.drop.swift.SwiftClient;
import net.koukan.filter.BlobSource;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The drop's routing and ack contract, shared by {@code ./koukan drop serve} (stored mode) and
 * the {@code swift} filter (queued mode): recipients → sections → destinations, the start-up
 * check, and {@link #deliver}: store in every destination (within the store budget), relay the
 * forwards, and answer 250 only when all of it succeeded.
 */
public final class DropService {
  private static final Logger log = LoggerFactory.getLogger(DropService.class);

  /** What a recipient address is to the drop. */
  public sealed interface Route {
    /** Stored in {@code destination}; {@code unavailable}: its start-up check failed (451). */
    record Store(Destination destination, boolean unavailable) implements Route {}

    /** Relayed to {@code target}. */
    record Forward(String target) implements Route {}

    /** Not ours. */
    record Unknown() implements Route {}
  }

  private final DropConfig config;
  private final Clock clock;
  private final Map<String, Destination> destinations = new LinkedHashMap<>();
  private final Map<String, String> routes;
  private final Set<String> unavailable = ConcurrentHashMap.newKeySet();
  private final ForwardRelay relay;

  public DropService(DropConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.routes = config.routes();
    ObjectNames names = new ObjectNames(config.hostname());
    Map<List<Object>, SwiftClient> clients = new LinkedHashMap<>();
    for (SectionConfig s : config.sections()) {
      Destination d;
      if (s.folder() != null) {
        d = new MaildirDestination(s.name(), s.folder(), names, clock);
      } else {
        SwiftAuth auth = s.auth();
        SwiftClient c = clients.computeIfAbsent(List.of(auth, s.timeout()),
            k -> new SwiftClient(auth, s.timeout(), clock));
        d = new SwiftDestination(s.name(), c, s.container(), s.contentType(), s.deleteAfter(), names, clock);
      }
      destinations.put(s.name(), d);
    }
    this.relay = config.forwardRelay() == null ? null : new ForwardRelay(config.forwardRelay(), config.hostname());
  }

  public DropConfig config() {
    return config;
  }

  public Map<String, Destination> destinations() {
    return destinations;
  }

  /**
   * Authenticates and HEADs every destination (all of them, even after a failure). Returns every
   * problem; each failed section is marked unavailable (its recipients get 451).
   */
  public List<String> check() {
    List<String> problems = new ArrayList<>();
    for (Destination d : destinations.values()) {
      String p = d.check();
      if (p != null) {
        problems.add(p);
        unavailable.add(d.name());
      } else {
        unavailable.remove(d.name());
      }
    }
    return problems;
  }

  /**
   * The start-up check: with {@code deferUnavailable} off, any problem refuses to start
   * (a {@link DropConfigException} naming every failed section and container).
   */
  public void startupCheck() {
    List<String> problems = check();
    if (problems.isEmpty()) {
      log.info("start-up check: {} destination(s) ok", destinations.size());
      return;
    }
    if (!config.deferUnavailable()) {
      List<String> msgs = new ArrayList<>();
      msgs.add("start-up check failed for " + problems.size() + " of " + destinations.size() + " destination(s):");
      problems.forEach(p -> msgs.add("  " + p));
      throw new DropConfigException(msgs);
    }
    problems.forEach(p -> log.error("start-up check: {}; its recipients get 451 until the next check", p));
  }

  public Route route(String address) {
    String a = DropConfig.normalize(address);
    String section = routes.get(a);
    if (section != null) {
      return new Route.Store(destinations.get(section), unavailable.contains(section));
    }
    String target = config.forwards().get(a);
    if (target != null) {
      return new Route.Forward(target);
    }
    return new Route.Unknown();
  }

  /** Whether section {@code name} failed its last check. */
  public boolean unavailable(String name) {
    return unavailable.contains(name);
  }

  /**
   * Stores the message in every destination of its recipients, then relays its forwards.
   * Returns 250 only when every store returned success and the relay accepted; otherwise
   * (stored copies are deleted again, best effort) 451 4.3.0, or 552 5.3.4 when the store says
   * the message is too big, or the relay's permanent refusal when nothing is stored.
   */
  public Response deliver(Arrival arrival, BlobSource content) {
    Map<Destination, List<String>> byDestination = new LinkedHashMap<>();
    List<String> forwards = new ArrayList<>();
    for (String r : arrival.rcptTo()) {
      switch (route(r)) {
        case Route.Store s -> {
          if (s.unavailable()) {
            return new Response(451, "4.3.0 destination of " + r + " is unavailable, please try again later");
          }
          List<String> l = byDestination.computeIfAbsent(s.destination(), k -> new ArrayList<>());
          if (!l.contains(DropConfig.normalize(r))) {
            l.add(DropConfig.normalize(r));
          }
        }
        case Route.Forward f -> {
          if (!forwards.contains(f.target())) {
            forwards.add(f.target());
          }
        }
        case Route.Unknown u -> {
          return new Response(550, "5.1.1 " + r + ": no such recipient here");
        }
      }
    }
    List<StoreResult.Stored> stored = new ArrayList<>();
    if (!byDestination.isEmpty()) {
      Receipt.Digest digest;
      try {
        digest = Receipt.digest(content);
      } catch (IOException e) {
        log.error("cannot read the spooled message: {}", e.toString());
        return new Response(451, "4.3.0 cannot read the message, please try again later");
      }
      Receipt base = new Receipt(arrival.mailFrom(), List.of(), arrival.clientIp(), arrival.helo(), arrival.tls(),
          arrival.authUser(), arrival.receivedAt(), digest.size(), digest.md5(), digest.sha256());
      Instant deadline = clock.instant().plus(config.storeTimeout());
      for (Map.Entry<Destination, List<String>> e : byDestination.entrySet()) {
        StoreResult r = e.getKey().store(base.withRcptTo(e.getValue()), content, deadline);
        if (r instanceof StoreResult.Failed f) {
          undo(stored);
          return f.reply();
        }
        stored.add((StoreResult.Stored) r);
      }
    }
    if (!forwards.isEmpty()) {
      Response refused = relay == null ? new Response(451, "4.3.0 no forward relay configured") :
          relay.relay(arrival.mailFrom(), forwards, content);
      if (refused != null) {
        undo(stored);
        return stored.isEmpty() || refused.temporary() ? refused
            : new Response(451, "4.4.0 " + refused.message());
      }
    }
    StringBuilder text = new StringBuilder("2.0.0 Ok: stored");
    for (StoreResult.Stored s : stored) {
      text.append(' ').append(s.destination()).append(':').append(s.objectName());
    }
    if (!forwards.isEmpty()) {
      text.append(stored.isEmpty() ? " nothing, forwarded" : ", forwarded");
    }
    return new Response(250, text.toString());
  }

  private void undo(List<StoreResult.Stored> stored) {
    for (StoreResult.Stored s : stored) {
      Destination d = Objects.requireNonNull(destinations.get(s.destination()));
      log.warn("another destination failed: deleting {} from {} again", s.objectName(), d.describe());
      d.discard(s.objectName());
    }
  }

  public Duration storeTimeout() {
    return config.storeTimeout();
  }
}
