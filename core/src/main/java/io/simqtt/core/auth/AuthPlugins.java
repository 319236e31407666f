package io.simqtt.core.auth;

import io.simqtt.config.AuthSettings;
import io.simqtt.config.SettingsException;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticators and authorizers from the jars in {@code mqtt.auth.plugin-dir}, found with
 * {@link ServiceLoader} (each jar lists its classes in {@code
 * META-INF/services/io.simqtt.core.auth.Authenticator} or {@code ...Authorizer}; each class has a
 * public no-argument constructor) and known by their {@code name()}. A class listed under both
 * services is made once and takes part in both chains. Made once, at start: a reload re-reads
 * the files, not the plug-ins. Plug-ins the chain does not name are closed at once.
 */
public final class AuthPlugins implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuthPlugins.class);
  private static final String DIR_KEY = "mqtt.auth.plugin-dir";
  private static final String CHAIN_KEY = "mqtt.auth.chain";

  /** No plug-in directory. */
  public static final AuthPlugins NONE = new AuthPlugins(Map.of(), Map.of(), null);

  private final Map<String, Authenticator> authenticators;
  private final Map<String, Authorizer> authorizers;
  private final URLClassLoader loader;

  private AuthPlugins(Map<String, Authenticator> authenticators,
      Map<String, Authorizer> authorizers, URLClassLoader loader) {
    this.authenticators = Map.copyOf(authenticators);
    this.authorizers = Map.copyOf(authorizers);
    this.loader = loader;
  }

  /**
   * Loads the plug-ins of {@code settings}; every name in the chain that is not built in must be
   * one of them.
   *
   * @throws SettingsException naming mqtt.auth.plugin-dir (a jar or class that cannot be
   *     loaded, two plug-ins with one name) or mqtt.auth.chain (a name no plug-in has)
   */
  public static AuthPlugins load(AuthSettings settings) {
    Path dir = settings.pluginDir();
    if (dir == null) {
      return NONE;
    }
    URLClassLoader loader = new URLClassLoader(
        "simqtt-auth-plugins", jars(dir), AuthPlugins.class.getClassLoader());
    Map<Class<?>, Object> made = new IdentityHashMap<>();
    Map<String, Authenticator> authenticators = new HashMap<>();
    Map<String, Authorizer> authorizers = new HashMap<>();
    try {
      for (Authenticator a : instances(Authenticator.class, loader, dir, made)) {
        register(authenticators, a.name(), a, dir);
      }
      for (Authorizer a : instances(Authorizer.class, loader, dir, made)) {
        register(authorizers, a.name(), a, dir);
      }
      Set<String> found = new TreeSet<>(authenticators.keySet());
      found.addAll(authorizers.keySet());
      for (String name : settings.effectiveChain()) {
        if (!isBuiltIn(name) && !found.contains(name)) {
          throw new SettingsException(CHAIN_KEY, CHAIN_KEY + " names " + name
              + ", but no plug-in in " + dir + " has that name (found: "
              + (found.isEmpty() ? "none" : String.join(", ", found)) + ")");
        }
      }
    } catch (RuntimeException e) {
      made.values().forEach(p -> closeQuietly(p));
      closeQuietly(loader);
      throw e;
    }
    AuthPlugins plugins = new AuthPlugins(authenticators, authorizers, loader);
    for (Object p : made.values()) {
      String name = p instanceof Authenticator a ? a.name() : ((Authorizer) p).name();
      if (settings.effectiveChain().contains(name)) {
        LOG.info("auth plug-in {} ({}) from {}", name, p.getClass().getName(), dir);
      } else {
        LOG.info("auth plug-in {} in {} is not in {}: not used", name, dir, CHAIN_KEY);
        closeQuietly(p);
      }
    }
    return plugins;
  }

  private static boolean isBuiltIn(String name) {
    return name.equals(AuthSettings.PASSWORD_FILE) || name.equals(AuthSettings.ACL_FILE);
  }

  private static URL[] jars(Path dir) {
    List<URL> urls = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
        if (!Files.isReadable(jar)) {
          throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + ": " + jar.getFileName()
              + " cannot be read by this process");
        }
        urls.add(jar.toUri().toURL());
      }
    } catch (MalformedURLException e) {
      throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + " cannot be listed: "
          + e.getMessage(), e);
    }
    return urls.toArray(URL[]::new);
  }

  private static <T> List<T> instances(
      Class<T> service, ClassLoader loader, Path dir, Map<Class<?>, Object> made) {
    List<T> out = new ArrayList<>();
    try {
      for (ServiceLoader.Provider<T> p : ServiceLoader.load(service, loader).stream().toList()) {
        Object instance = made.get(p.type());
        if (instance == null) {
          instance = p.get();
          made.put(p.type(), instance);
        }
        out.add(service.cast(instance));
      }
    } catch (ServiceConfigurationError | RuntimeException e) {
      // ServiceLoader's message names the jar's class and what failed (not found, no public
      // no-argument constructor, not an implementation, its constructor threw).
      throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + ": a "
          + service.getSimpleName() + " plug-in cannot be loaded: " + e.getMessage(), e);
    }
    return out;
  }

  private static <T> void register(Map<String, T> byName, String name, T plugin, Path dir) {
    if (name == null || name.isBlank() || isBuiltIn(name)) {
      throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + ": plug-in "
          + plugin.getClass().getName() + " is named '" + name + "', which "
          + (isBuiltIn(String.valueOf(name)) ? "is built in" : "is no name"));
    }
    T other = byName.putIfAbsent(name, plugin);
    if (other != null) {
      throw new SettingsException(DIR_KEY, DIR_KEY + " = " + dir + ": two plug-ins are named "
          + name + " (" + other.getClass().getName() + ", " + plugin.getClass().getName() + ")");
    }
  }

  Optional<Authenticator> authenticator(String name) {
    return Optional.ofNullable(authenticators.get(name));
  }

  Optional<Authorizer> authorizer(String name) {
    return Optional.ofNullable(authorizers.get(name));
  }

  /** Closes the class loader; the plug-ins in use close with the chain that uses them. */
  @Override
  public void close() {
    if (loader != null) {
      closeQuietly(loader);
    }
  }

  private static void closeQuietly(Object o) {
    if (o instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("{} failed to close", o.getClass().getName(), e);
      }
    }
  }
}
