package net.koukan.filter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import net.koukan.config.ConfigException;
import net.koukan.config.EndpointConfig;
import net.koukan.config.FilterStanza;
import net.koukan.config.RouterConfig;

/**
 * The filters a router knows: built-ins registered by the wiring code, and plugins from the jars
 * named in {@code modules.sync_filter} ({@code name: path/to/plugin.jar}), found with
 * {@link ServiceLoader}.
 */
public final class FilterRegistry {
  private final Map<String, FilterFactory> factories = new LinkedHashMap<>();

  public FilterRegistry register(FilterFactory f) {
    if (factories.putIfAbsent(f.name(), f) != null) {
      throw new IllegalStateException("filter " + f.name() + " registered twice");
    }
    return this;
  }

  public boolean has(String name) {
    return factories.containsKey(name);
  }

  /**
   * Loads plugin filters: for each {@code name: jar} the jar must provide a {@link FilterFactory}
   * whose {@code name()} is {@code name}. Relative paths are relative to {@code configDir}.
   */
  public void loadPlugins(Map<String, String> modules, Path configDir, String configFile) {
    for (FilterFactory f : Plugins.load(FilterFactory.class, modules, configDir,
        "modules.sync_filter", FilterFactory::name)) {
      register(f);
    }
  }

  /** Checks every endpoint's chain and prepares it; unknown filters fail with file:line. */
  public Map<String, ChainTemplate> prepare(RouterConfig config) {
    Map<String, ChainTemplate> out = new LinkedHashMap<>();
    for (EndpointConfig e : config.endpoint()) {
      out.put(e.name(), prepare(e));
    }
    return out;
  }

  public ChainTemplate prepare(EndpointConfig e) {
    List<Supplier<Filter>> suppliers = new ArrayList<>();
    for (FilterStanza s : e.chain()) {
      FilterFactory f = factories.get(s.filter());
      if (f == null) {
        throw new ConfigException(s.file(), s.line(), 1, "endpoint." + e.name() + ".chain.filter",
            "unknown filter " + s.filter() + " (known: " + new TreeSet<>(factories.keySet()) + ")");
      }
      suppliers.add(f.prepare(s));
    }
    return new ChainTemplate(e, suppliers);
  }
}
