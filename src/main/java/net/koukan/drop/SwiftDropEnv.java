package net.koukan.drop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.koukan.drop.swift.SwiftAuth;

/**
 * SwiftDrop's environment, read the way its confd + ConfigParser set-up reads it, with the sharp
 * edges filed off (docs/object-store-drop.md lists each difference):
 *
 * <ul>
 *   <li>{@code SWIFTDROP_<SECTION>_<OPTION>}: the section is the part up to the next '_' (as with
 *       confd); a section name containing '_' is written with {@code __} after it
 *       ({@code SWIFTDROP_EU_WEST__CONTAINER}). Option names are case-insensitive.
 *   <li>{@code DEFAULT} is required; its options are inherited by every section that does not set
 *       them, and an empty value cancels an inherited one. Its {@code recipients} are its own
 *       (not inherited): an address routes to the one section that lists it.
 *   <li>Recipient lists are comma-separated, trimmed and lower-cased; an address in two sections
 *       is an error.
 *   <li>{@code RECIPIENTS} (JSON list) is optional: the accepted addresses are the sections'
 *       lists; an address in RECIPIENTS that no section lists is an error (SwiftDrop's start-up
 *       assertion), so mail is never discarded behind a 250.
 *   <li>{@code FORWARDS} (JSON object alias → target) are relayed by SMTP to
 *       {@code DROP_FORWARD_RELAY} (host:port), normally a Koukan gateway, i.e. normal routing.
 *   <li>{@code MYHOSTNAME}: our name. {@code UPSTREAM_PROXY_PROTOCOL=haproxy} turns the PROXY
 *       protocol on (off when unset). {@code POSTMASTER} is accepted and unused (we never bounce).
 *   <li>Ours: {@code DROP_LISTEN} (host:port, default 0.0.0.0:25), {@code DROP_MAX_MESSAGE_SIZE}
 *       (default 52428800), {@code DROP_STORE_TIMEOUT} (seconds, default 60),
 *       {@code DROP_DEFER_UNAVAILABLE} (true/false).
 * </ul>
 *
 * Every problem is collected and reported at once, each naming its variable.
 */
public final class SwiftDropEnv {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "SWIFTDROP_";
  private static final Set<String> OPTIONS = Set.of("recipients", "container", "auth_version", "authurl",
      "user", "key", "tenant_name", "timeout", "content_type", "delete_after", "folder");
  private static final Set<String> OS_OPTIONS = Set.of("project_name", "project_domain_name",
      "user_domain_name", "project_id", "region_name", "endpoint_type", "interface", "object_storage_url");

  private final Map<String, String> env;
  private final List<String> problems = new ArrayList<>();

  private SwiftDropEnv(Map<String, String> env) {
    this.env = env;
  }

  /** True when {@code env} looks like a SwiftDrop configuration. */
  public static boolean present(Map<String, String> env) {
    return env.keySet().stream().anyMatch(k -> k.startsWith(PREFIX));
  }

  /**
   * Reads the configuration; {@code listenOverride} (host:port) replaces DROP_LISTEN when not null.
   *
   * @throws DropConfigException listing every problem, each naming its variable
   */
  public static DropConfig parse(Map<String, String> env, String listenOverride) {
    return new SwiftDropEnv(env).read(listenOverride);
  }

  private record Opt(String var, String value) {}

  private DropConfig read(String listenOverride) {
    // section -> option -> (variable, value), sections in a stable order: DEFAULT first, then by name
    Map<String, Map<String, Opt>> sections = new TreeMap<>((a, b) ->
        a.equals(b) ? 0 : a.equals("DEFAULT") ? -1 : b.equals("DEFAULT") ? 1 : a.compareTo(b));
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String var = e.getKey();
      if (!var.startsWith(PREFIX)) {
        continue;
      }
      String rest = var.substring(PREFIX.length());
      int sep = rest.indexOf("__");
      String section;
      String option;
      if (sep > 0) {
        section = rest.substring(0, sep);
        option = rest.substring(sep + 2);
      } else {
        int u = rest.indexOf('_');
        if (u <= 0 || u == rest.length() - 1) {
          problems.add(var + ": expected SWIFTDROP_<SECTION>_<OPTION>");
          continue;
        }
        section = rest.substring(0, u);
        option = rest.substring(u + 1);
      }
      section = section.toUpperCase(Locale.ROOT);
      option = option.toLowerCase(Locale.ROOT);
      boolean known = OPTIONS.contains(option)
          || (option.startsWith("os_options_") && OS_OPTIONS.contains(option.substring("os_options_".length())));
      if (!known) {
        problems.add(var + ": unknown option '" + option + "' (expected one of: "
            + String.join(", ", new java.util.TreeSet<>(OPTIONS)) + ", os_options_<"
            + String.join("|", new java.util.TreeSet<>(OS_OPTIONS)) + ">)");
        continue;
      }
      sections.computeIfAbsent(section, k -> new LinkedHashMap<>()).put(option, new Opt(var, e.getValue()));
    }
    if (!sections.containsKey("DEFAULT")) {
      problems.add("SWIFTDROP_DEFAULT_*: a DEFAULT section is required (e.g. SWIFTDROP_DEFAULT_CONTAINER)");
    }
    Map<String, Opt> defaults = sections.getOrDefault("DEFAULT", Map.of());
    List<SectionConfig> out = new ArrayList<>();
    for (Map.Entry<String, Map<String, Opt>> s : sections.entrySet()) {
      Map<String, Opt> merged = new LinkedHashMap<>();
      defaults.forEach((k, v) -> {
        if (!k.equals("recipients")) {
          merged.put(k, v);
        }
      });
      merged.putAll(s.getValue());
      merged.values().removeIf(o -> o.value().trim().isEmpty());
      SectionConfig c = section(s.getKey(), merged);
      if (c != null) {
        out.add(c);
      }
    }

    String listen = listenOverride != null ? listenOverride : env.getOrDefault("DROP_LISTEN", "0.0.0.0:25");
    String[] hp = splitHostPort(listenOverride != null ? "--listen" : "DROP_LISTEN", listen);
    long maxSize = number("DROP_MAX_MESSAGE_SIZE", DropConfig.DEFAULT_MAX_SIZE);
    long storeTimeout = number("DROP_STORE_TIMEOUT", DropConfig.DEFAULT_STORE_TIMEOUT.toSeconds());
    boolean defer = bool("DROP_DEFER_UNAVAILABLE");
    String proxy = env.getOrDefault("UPSTREAM_PROXY_PROTOCOL", "").trim();
    if (!proxy.isEmpty() && !proxy.equals("haproxy")) {
      problems.add("UPSTREAM_PROXY_PROTOCOL: only 'haproxy' or empty is supported, not '" + proxy + "'");
    }
    Map<String, String> forwards = forwards();
    String relay = env.get("DROP_FORWARD_RELAY");
    if (relay != null && !relay.isBlank()) {
      splitHostPort("DROP_FORWARD_RELAY", relay);
    }
    String hostname = env.getOrDefault("MYHOSTNAME", "").trim();
    if (hostname.isEmpty()) {
      hostname = localHostname();
    }
    checkRecipientsList(out);
    if (!problems.isEmpty()) {
      throw new DropConfigException(problems);
    }
    DropConfig config = new DropConfig(hostname, hp[0], Integer.parseInt(hp[1]), maxSize,
        Duration.ofSeconds(storeTimeout), defer, !proxy.isEmpty(), out, forwards,
        relay == null || relay.isBlank() ? null : relay.trim());
    config.routes(); // cross-section checks
    return config;
  }

  private SectionConfig section(String name, Map<String, Opt> o) {
    String origin = PREFIX + name + "_*";
    List<String> recipients = new ArrayList<>();
    Opt r = o.get("recipients");
    if (r != null) {
      for (String a : r.value().split(",")) {
        String n = DropConfig.normalize(a);
        if (n.isEmpty()) {
          continue;
        }
        if (!n.contains("@") || n.chars().anyMatch(c -> c <= ' ' || c == '<' || c == '>')) {
          problems.add(r.var() + ": '" + a.trim() + "' is not an address");
          continue;
        }
        recipients.add(n);
      }
    }
    if (recipients.isEmpty()) {
      if (!name.equals("DEFAULT")) {
        problems.add(PREFIX + name + "_RECIPIENTS: must list at least one address");
      }
      return null; // DEFAULT without recipients: shared settings only
    }
    Duration deleteAfter = null;
    if (o.containsKey("delete_after")) {
      deleteAfter = Duration.ofSeconds(number(o.get("delete_after")));
    }
    Duration timeout = Duration.ofSeconds(o.containsKey("timeout") ? number(o.get("timeout")) : 30);
    String contentType = o.containsKey("content_type") ? o.get("content_type").value().trim() : "message/rfc822";
    if (o.containsKey("folder")) {
      return new SectionConfig(name, origin, recipients, null, null, Path.of(o.get("folder").value().trim()),
          contentType, deleteAfter, timeout);
    }
    String container = require(o, name, "container");
    String version = o.containsKey("auth_version") ? o.get("auth_version").value().trim() : "1";
    String authurl = require(o, name, "authurl");
    String user = require(o, name, "user");
    String key = require(o, name, "key");
    if (container == null || authurl == null || user == null || key == null) {
      return null;
    }
    URI authUri = uri(o.get("authurl"));
    URI storage = o.containsKey("os_options_object_storage_url") ? uri(o.get("os_options_object_storage_url")) : null;
    SwiftAuth auth;
    switch (version) {
      case "1", "1.0" -> auth = new SwiftAuth.V1(authUri, user, key, storage);
      case "3" -> auth = new SwiftAuth.KeystoneV3(authUri, user, value(o, "os_options_user_domain_name"), key,
          value(o, "os_options_project_name"), value(o, "os_options_project_id"),
          value(o, "os_options_project_domain_name"), value(o, "os_options_region_name"),
          o.containsKey("os_options_interface") ? value(o, "os_options_interface") : value(o, "os_options_endpoint_type"),
          storage);
      default -> {
        problems.add(o.get("auth_version").var() + ": '" + version + "' is not supported (1 or 3)");
        return null;
      }
    }
    if (container.contains("/")) {
      problems.add(o.get("container").var() + ": a container name cannot contain '/'");
    }
    return new SectionConfig(name, origin, recipients, container, auth, null, contentType, deleteAfter, timeout);
  }

  private static String value(Map<String, Opt> o, String k) {
    Opt v = o.get(k);
    return v == null ? null : v.value().trim();
  }

  private String require(Map<String, Opt> o, String section, String option) {
    Opt v = o.get(option);
    if (v == null) {
      problems.add(PREFIX + section + "_" + option.toUpperCase(Locale.ROOT) + ": must be set (or set "
          + PREFIX + "DEFAULT_" + option.toUpperCase(Locale.ROOT) + ")");
      return null;
    }
    return v.value().trim();
  }

  private URI uri(Opt o) {
    try {
      URI u = URI.create(o.value().trim());
      if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
        problems.add(o.var() + ": '" + o.value() + "' is not an http(s) URL");
      }
      return u;
    } catch (IllegalArgumentException e) {
      problems.add(o.var() + ": '" + o.value() + "' is not a URL");
      return URI.create("http://invalid");
    }
  }

  private long number(Opt o) {
    try {
      long n = Long.parseLong(o.value().trim());
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      problems.add(o.var() + ": '" + o.value() + "' is not a positive whole number");
      return 1;
    }
  }

  private long number(String var, long dflt) {
    String v = env.get(var);
    return v == null || v.isBlank() ? dflt : number(new Opt(var, v));
  }

  private boolean bool(String var) {
    String v = env.getOrDefault(var, "").trim().toLowerCase(Locale.ROOT);
    return switch (v) {
      case "", "false", "no", "0" -> false;
      case "true", "yes", "1" -> true;
      default -> {
        problems.add(var + ": '" + v + "' is not true or false");
        yield false;
      }
    };
  }

  private String[] splitHostPort(String var, String v) {
    int c = v.lastIndexOf(':');
    if (c <= 0) {
      problems.add(var + ": '" + v + "' is not host:port");
      return new String[] {"127.0.0.1", "0"};
    }
    String host = v.substring(0, c).replace("[", "").replace("]", "");
    try {
      int port = Integer.parseInt(v.substring(c + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new String[] {host, Integer.toString(port)};
    } catch (NumberFormatException e) {
      problems.add(var + ": '" + v + "' has no valid port");
      return new String[] {host, "0"};
    }
  }

  private Map<String, String> forwards() {
    String v = env.get("FORWARDS");
    Map<String, String> out = new LinkedHashMap<>();
    if (v == null || v.isBlank()) {
      return out;
    }
    try {
      JsonNode n = JSON.readTree(v);
      if (!n.isObject()) {
        problems.add("FORWARDS: must be a JSON object {\"alias@domain\": \"target@elsewhere\"}");
        return out;
      }
      n.fields().forEachRemaining(e -> {
        if (!e.getValue().isTextual() || !e.getValue().asText().contains("@")) {
          problems.add("FORWARDS: target of " + e.getKey() + " must be an address");
        } else {
          out.put(DropConfig.normalize(e.getKey()), e.getValue().asText().trim());
        }
      });
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      problems.add("FORWARDS: not valid JSON: " + e.getOriginalMessage());
    }
    return out;
  }

  private void checkRecipientsList(List<SectionConfig> sections) {
    String v = env.get("RECIPIENTS");
    if (v == null || v.isBlank()) {
      return;
    }
    Set<String> listed = new LinkedHashSet<>();
    try {
      JsonNode n = JSON.readTree(v);
      if (!n.isArray()) {
        problems.add("RECIPIENTS: must be a JSON list of addresses");
        return;
      }
      n.forEach(a -> listed.add(DropConfig.normalize(a.asText())));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      problems.add("RECIPIENTS: not valid JSON: " + e.getOriginalMessage());
      return;
    }
    Set<String> routed = new LinkedHashSet<>();
    sections.forEach(s -> routed.addAll(s.recipients()));
    for (String a : listed) {
      if (!routed.contains(a)) {
        problems.add("RECIPIENTS: " + a + " is in no SWIFTDROP_<SECTION>_RECIPIENTS list "
            + "(SwiftDrop would accept and silently discard it)");
      }
    }
  }

  static String localHostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }
}
