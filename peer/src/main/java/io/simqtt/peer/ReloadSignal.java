package io.simqtt.peer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP re-reads the password and ACL files, as it makes Mosquitto do. Without a handler the
 * JVM would stop the node on SIGHUP; with one, a hang-up of the terminal no longer stops it
 * either (service managers stop with SIGTERM).
 */
final class ReloadSignal {

  private static final Logger LOG = LoggerFactory.getLogger(ReloadSignal.class);

  private ReloadSignal() {}

  /** {@code reload} runs on the JVM's signal thread: it must hand the work off and return. */
  static void install(Runnable reload) {
    try {
      SignalHandler before = Signal.handle(new Signal("HUP"), signal -> reload.run());
      if (before == SignalHandler.SIG_IGN) {
        // The JVM keeps a SIGHUP that was ignored when it started (nohup, a parent that ignored
        // it) ignored and installs nothing: say so, or a reload by signal silently does nothing.
        LOG.warn("SIGHUP was ignored when the node started (nohup?), so it does not reload the"
            + " auth files and TLS certificates; use bin/admin.sh reload");
      }
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // Taken (-Xrs) or not on this system: bin/admin.sh reload still works.
      LOG.debug("cannot handle SIGHUP: {}", e.toString());
    }
  }
}
