package net.koukan.filter;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import net.koukan.config.ConfigException;

/**
 * Loads plugins named in the {@code modules} stanza: {@code name: path/to/plugin.jar}. Each jar
 * is opened in its own class loader and searched with {@link ServiceLoader} for an implementation
 * of the service whose name is {@code name}.
 */
public final class Plugins {
  private Plugins() {}

  /** For services with a {@code name()} method taken from the implementation. */
  public static <T> List<T> load(Class<T> service, Map<String, String> modules, Path configDir,
      String stanza) {
    return load(service, modules, configDir, stanza, Plugins::nameOf);
  }

  private static String nameOf(Object o) {
    try {
      return (String) o.getClass().getMethod("name").invoke(o);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(o.getClass() + " has no name()", e);
    }
  }

  public static <T> List<T> load(Class<T> service, Map<String, String> modules, Path configDir,
      String stanza, Function<T, String> name) {
    List<T> out = new ArrayList<>();
    if (modules == null) {
      return out;
    }
    for (Map.Entry<String, String> m : modules.entrySet()) {
      String key = stanza + "." + m.getKey();
      Path jar = configDir == null ? Path.of(m.getValue()) : configDir.resolve(m.getValue());
      if (!Files.isRegularFile(jar)) {
        throw new ConfigException("(modules)", 1, 1, key, "plugin jar " + jar + " does not exist");
      }
      URLClassLoader loader;
      try {
        loader = new URLClassLoader("plugin-" + m.getKey(), new URL[] {jar.toUri().toURL()},
            Plugins.class.getClassLoader());
      } catch (MalformedURLException e) {
        throw new ConfigException("(modules)", 1, 1, key, "bad plugin path " + jar);
      }
      T found = null;
      List<String> names = new ArrayList<>();
      for (T t : ServiceLoader.load(service, loader)) {
        if (t.getClass().getClassLoader() != loader) {
          continue; // a built-in seen through the parent loader
        }
        names.add(name.apply(t));
        if (name.apply(t).equals(m.getKey())) {
          found = t;
        }
      }
      if (found == null) {
        try {
          loader.close();
        } catch (IOException e) {
          // nothing to do
        }
        throw new ConfigException("(modules)", 1, 1, key, "plugin jar " + jar + " provides no "
            + service.getSimpleName() + " named " + m.getKey() + " (it provides " + names + ")");
      }
      out.add(found);
    }
    return out;
  }
}
