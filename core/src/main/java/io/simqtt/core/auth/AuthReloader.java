package io.simqtt.core.auth;

import io.simqtt.config.AuthSettings;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the password and ACL files (SIGHUP, the admin API, a change on disk) on one thread
 * of its own, so reloads never overlap and never run on an event loop. A file with a broken line
 * leaves the rules in force as they were. After a good read, new CONNECTs are checked against
 * the new rules at once, and every session's {@link Permissions} is resolved again here (asked
 * with a bound; those the authorizers cannot answer for now keep their rules and are asked again
 * in the background), so a connected client's next publish, subscription or delivery follows
 * them too.
 */
public final class AuthReloader implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuthReloader.class);

  private final AuthRules rules;
  private final Authentication auth;
  /** Moves every session to the rules in force; returns how many it moved. */
  private final IntSupplier sessions;
  /** Reloads waiting for the one running; more are refused (they would read the same files). */
  private static final int MAX_WAITING = 8;

  private final ThreadPoolExecutor thread;
  /** The files' contents at the last read, good or broken; confined to {@link #thread}. */
  private byte[] lastRead;
  private AuthPlugins plugins = AuthPlugins.NONE;
  private AuthFileWatcher watcher;

  private AuthReloader(AuthRules rules, Authentication auth, byte[] loaded,
      IntSupplier sessions, String nodeId) {
    this.rules = rules;
    this.auth = auth;
    this.sessions = sessions;
    this.lastRead = loaded;
    this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(MAX_WAITING), r -> {
          Thread t = new Thread(r, "simqtt-auth-reload-" + nodeId);
          t.setDaemon(true);
          return t;
        });
  }

  /**
   * Loads the plug-ins, reads the files and puts them in force in {@code auth}, then watches the
   * files when {@code mqtt.auth.reload-on-change} says so.
   *
   * @param certificateUsers whether a client's certificate names its user (mqtt.tls)
   * @param sessions moves the permissions of every session the node holds to the rules in
   *     force, returning how many it moved (see {@code PermissionRetries#refreshAll})
   * @throws AuthFileException when a file cannot be read or has a broken line
   * @throws io.simqtt.config.SettingsException when a plug-in cannot be loaded or the chain names
   *     one that does not exist
   */
  public static AuthReloader start(AuthSettings settings, boolean certificateUsers,
      Authentication auth, IntSupplier sessions, String nodeId)
      throws AuthFileException {
    AuthPlugins plugins = AuthPlugins.load(settings);
    AuthRules rules = new AuthRules(settings, plugins, certificateUsers);
    byte[] loaded = rules.fingerprint();
    AuthRules.Chain chain;
    try {
      chain = rules.read();
    } catch (AuthFileException e) {
      plugins.close();
      throw e;
    }
    auth.use(chain.authenticators(), chain.authorizers());
    if (!chain.summary().isEmpty()) {
      LOG.info("auth: {}", chain.summary());
    }
    AuthReloader reloader = new AuthReloader(rules, auth, loaded, sessions, nodeId);
    reloader.plugins = plugins;
    if (settings.reloadOnChange() && rules.hasFiles()) {
      try {
        reloader.watcher = new AuthFileWatcher(rules.files(), settings.reloadDelay(),
            () -> reloader.reloadIfChanged("file change"), nodeId);
      } catch (IOException e) {
        LOG.warn("cannot watch the auth files for changes ({}); SIGHUP and bin/admin.sh reload"
            + " still re-read them", e.toString());
      }
    }
    return reloader;
  }

  /** Re-reads the files; {@code trigger} says why, for the log. */
  public CompletableFuture<AuthReload> reload(String trigger) {
    return onThread(() -> read(trigger));
  }

  /** Re-reads the files if their contents differ from the last read (a change on disk). */
  CompletableFuture<AuthReload> reloadIfChanged(String trigger) {
    return onThread(() -> Arrays.equals(lastRead, rules.fingerprint())
        ? new AuthReload(false, "the files did not change", 0)
        : read(trigger));
  }

  private CompletableFuture<AuthReload> onThread(Supplier<AuthReload> work) {
    try {
      return CompletableFuture.supplyAsync(work, thread);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(new AuthReload(false, thread.isShutdown()
          ? "the node is stopping" : MAX_WAITING + " reloads wait already", 0));
    }
  }

  private AuthReload read(String trigger) {
    if (!rules.hasFiles()) {
      return new AuthReload(false, "no mqtt.auth.password-file or acl-file to re-read", 0);
    }
    lastRead = rules.fingerprint();
    AuthRules.Chain chain;
    try {
      chain = rules.read();
    } catch (AuthFileException e) {
      LOG.atWarn().addKeyValue("trigger", trigger)
          .log("auth files not reloaded ({}), the previous rules stay in force: {}",
              trigger, e.getMessage());
      return new AuthReload(false, e.getMessage(), 0);
    }
    auth.use(chain.authenticators(), chain.authorizers());
    int updated = sessions.getAsInt();
    LOG.atInfo().addKeyValue("trigger", trigger)
        .log("auth files reloaded ({}): {}; {} sessions follow the new rules",
            trigger, chain.summary(), updated);
    return new AuthReload(true, chain.summary(), updated);
  }

  /** Stops watching and reloading; the plug-ins in use close with {@link Authentication}. */
  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
    thread.shutdownNow();
    plugins.close();
  }
}
