package io.simqtt.core.auth;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls {@code onQuiet} once the directories holding the auth files have seen no change for
 * {@code delay} after a change. Directories, not files: editors and bin/passwd.sh write a new
 * file and rename it over the old one, and a mounted secret is swapped by a symlink in the same
 * directory, none of which a watch on the old file would see. Events about other files of those
 * directories lead to a call too; the callback compares contents before it reloads anything.
 */
final class AuthFileWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuthFileWatcher.class);

  private final WatchService watcher;
  private final long delayNanos;
  private final Runnable onQuiet;
  private final Thread thread;

  AuthFileWatcher(List<Path> files, Duration delay, Runnable onQuiet, String nodeId)
      throws IOException {
    this.watcher = FileSystems.getDefault().newWatchService();
    this.delayNanos = delay.toNanos();
    this.onQuiet = onQuiet;
    Set<Path> dirs = new LinkedHashSet<>();
    for (Path f : files) {
      Path parent = f.toAbsolutePath().getParent();
      dirs.add(parent);
    }
    try {
      for (Path dir : dirs) {
        dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
      }
    } catch (IOException e) {
      watcher.close();
      throw e;
    }
    this.thread = new Thread(this::run, "simqtt-auth-watch-" + nodeId);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long quietAt = 0;
    boolean pending = false;
    try {
      while (true) {
        WatchKey key = pending
            ? watcher.poll(Math.max(0, quietAt - System.nanoTime()), TimeUnit.NANOSECONDS)
            : watcher.take();
        if (key != null) {
          key.pollEvents();
          key.reset();
          // Each change starts the wait again: a file written in several steps is read once.
          quietAt = System.nanoTime() + delayNanos;
          pending = true;
        } else if (pending && System.nanoTime() - quietAt >= 0) {
          pending = false;
          onQuiet.run();
        }
      }
    } catch (ClosedWatchServiceException | InterruptedException e) {
      // closed: the node stops
    } catch (RuntimeException e) {
      LOG.warn("watching the auth files stopped; SIGHUP and bin/admin.sh reload still work", e);
    }
  }

  @Override
  public void close() {
    try {
      watcher.close();
    } catch (IOException e) {
      LOG.debug("closing the auth file watcher", e);
    }
    thread.interrupt();
  }
}
