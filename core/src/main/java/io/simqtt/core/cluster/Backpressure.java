package io.simqtt.core.cluster;

/**
 * A peer link over its budget (bytes or messages waiting for the peer): publishers feeding it are
 * slowed instead of having their messages acknowledged and then dropped.
 */
public interface Backpressure {
  /**
   * Runs {@code resume} once the link has room again, or once its peer is declared dead (nothing
   * waits for a dead peer). May run at once, and on any thread.
   */
  void whenRelieved(Runnable resume);
}
