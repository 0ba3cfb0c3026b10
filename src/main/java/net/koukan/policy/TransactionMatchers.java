package net.koukan.policy;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import net.koukan.config.ConfigException;
import net.koukan.filter.Plugins;

/** The matchers a {@code policy_action} stanza can name: built-ins, signals and plugins. */
public final class TransactionMatchers {
  private TransactionMatchers() {}

  /**
   * Loads {@code modules.transaction_matcher} ({@code name: path/to/plugin.jar}, relative to
   * {@code configDir}): each jar must provide, through {@link java.util.ServiceLoader}, a
   * {@link TransactionMatcher.Factory} whose {@code name()} is its key. Pass the result to
   * {@link PolicyActionFilter.Factory#Factory(Map, java.util.Random)}.
   */
  public static Map<String, TransactionMatcher.Factory> loadPlugins(Map<String, String> modules,
      Path configDir) {
    Map<String, TransactionMatcher.Factory> out = new LinkedHashMap<>();
    for (TransactionMatcher.Factory f : Plugins.load(TransactionMatcher.Factory.class, modules,
        configDir, "modules.transaction_matcher", TransactionMatcher.Factory::name)) {
      out.put(f.name(), f);
    }
    return out;
  }

  /**
   * Built-in simple matchers, then signal matchers (our names and the reference's), then
   * {@code extra}; an extra name that is already taken is a configuration error.
   */
  static Map<String, TransactionMatcher.Factory> registry(Map<String, TransactionMatcher.Factory> extra) {
    Map<String, TransactionMatcher.Factory> m = new LinkedHashMap<>();
    for (TransactionMatcher.Factory f : SimpleMatchers.all()) {
      m.put(f.name(), f);
    }
    for (Map.Entry<String, TransactionMatcher.Factory> e : SignalMatchers.all()) {
      m.put(e.getKey(), e.getValue());
    }
    for (Map.Entry<String, TransactionMatcher.Factory> e : extra.entrySet()) {
      if (m.putIfAbsent(e.getKey(), e.getValue()) != null) {
        throw new ConfigException("(modules)", 1, 1, "modules.transaction_matcher." + e.getKey(),
            "a built-in matcher is already called " + e.getKey());
      }
    }
    return Collections.unmodifiableMap(m);
  }
}
