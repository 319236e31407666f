package io.simqtt.peer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into an orderly stop with exit code 0. Left to the JVM, SIGTERM runs
 * the shutdown hooks and then exits 143, which service managers and CI read as a failure. A
 * second signal while stopping forces the exit, in case closing hangs.
 */
final class StopSignals {

  private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

  private StopSignals() {}

  static void install(Runnable requestStop) {
    boolean[] requested = {false};
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          synchronized (requested) {
            if (requested[0]) {
              Runtime.getRuntime().halt(128 + signal.getNumber());
            }
            requested[0] = true;
          }
          requestStop.run();
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        // Signal taken (for example -Xrs); the shutdown hook still closes the broker.
        LOG.debug("cannot handle SIG{}: {}", name, e.toString());
      }
    }
  }
}
