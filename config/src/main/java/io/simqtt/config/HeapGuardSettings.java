package io.simqtt.config;

/**
 * When a node stops taking work because its heap is nearly full.
 *
 * @param enabled whether the guard runs at all
 * @param stopAbove fraction of the old generation's maximum that, still used after a collection
 *     of it, turns the guard on: no new connections, no reading from clients
 * @param resumeBelow fraction that, used after a collection, turns it off again; below stopAbove
 */
public record HeapGuardSettings(boolean enabled, double stopAbove, double resumeBelow) {

  /** The defaults of reference.conf. */
  public static final HeapGuardSettings DEFAULT = new HeapGuardSettings(true, 0.9, 0.8);
}
