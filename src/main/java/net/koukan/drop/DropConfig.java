package net.koukan.drop;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything {@code ./koukan drop serve} needs, from YAML ({@link DropYaml}) or SwiftDrop's
 * environment ({@link SwiftDropEnv}).
 *
 * @param hostname our name in the greeting (SwiftDrop's MYHOSTNAME)
 * @param listenHost address to listen on
 * @param listenPort port (0: any free one)
 * @param maxMessageSize advertised as SIZE and enforced (552 5.3.4); default 50 MiB
 * @param storeTimeout budget for storing one message in all its destinations, retries included;
 *     kept well under a client's 10-minute DATA timeout
 * @param deferUnavailable when the start-up check fails for a section: true answers 451 for its
 *     recipients, false refuses to start
 * @param proxyProtocol expect a HAProxy PROXY header on each connection
 * @param sections destinations in order
 * @param forwards alias → target, relayed through {@code forwardRelay}
 * @param forwardRelay SMTP next hop "host:port" for forwards, or null
 */
public record DropConfig(String hostname, String listenHost, int listenPort, long maxMessageSize,
    Duration storeTimeout, boolean deferUnavailable, boolean proxyProtocol, List<SectionConfig> sections,
    Map<String, String> forwards, String forwardRelay) {

  public static final long DEFAULT_MAX_SIZE = 50L << 20;
  public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(60);

  public DropConfig {
    sections = List.copyOf(sections);
    forwards = Map.copyOf(forwards);
  }

  /** Normalises an address for matching: trimmed, lower-cased. */
  public static String normalize(String address) {
    return address.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * Address → section name. Also checks what must hold across sections: an address in one
   * section only, forwards not also routed to a section, forwards only with a relay.
   */
  public Map<String, String> routes() {
    List<String> problems = new ArrayList<>();
    Map<String, String> routes = new LinkedHashMap<>();
    for (SectionConfig s : sections) {
      for (String r : s.recipients()) {
        String prev = routes.putIfAbsent(r, s.name());
        if (prev != null && !prev.equals(s.name())) {
          problems.add(s.origin() + ": recipient " + r + " is also in section " + prev
              + " (an address may be in one section only)");
        }
      }
    }
    for (String alias : forwards.keySet()) {
      if (routes.containsKey(alias)) {
        problems.add("forward " + alias + " is also a recipient of section " + routes.get(alias));
      }
    }
    if (!forwards.isEmpty() && (forwardRelay == null || forwardRelay.isBlank())) {
      problems.add("forwards are configured but no forward relay (DROP_FORWARD_RELAY / forward_relay: host:port)");
    }
    if (routes.isEmpty()) {
      problems.add("no section lists any recipient");
    }
    if (!problems.isEmpty()) {
      throw new DropConfigException(problems);
    }
    return routes;
  }
}
