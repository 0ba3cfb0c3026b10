package net.koukan.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code modules}: plugins by name. Values are Java class names or jar specs; they are only strings here.
 *
 * @param syncFilter usable as {@code filter: <name>}
 * @param recipientRouterPolicy usable as {@code policy: {name: <name>}}
 * @param transactionMatcher usable as {@code matcher: <name>}
 */
public record ModulesConfig(
    Map<String, String> syncFilter,
    Map<String, String> recipientRouterPolicy,
    Map<String, String> transactionMatcher) {

  private static final ModulesConfig DEFAULTS = new ModulesConfig(null, null, null);

  public ModulesConfig {
    syncFilter = copy(syncFilter);
    recipientRouterPolicy = copy(recipientRouterPolicy);
    transactionMatcher = copy(transactionMatcher);
  }

  public static ModulesConfig defaults() {
    return DEFAULTS;
  }

  private static Map<String, String> copy(Map<String, String> m) {
    return m == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }
}
