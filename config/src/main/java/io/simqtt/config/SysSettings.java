package io.simqtt.config;

import java.time.Duration;

/**
 * The $SYS/broker/... topics a node publishes about itself.
 *
 * @param interval how often they are published; zero turns them off
 */
public record SysSettings(Duration interval) {

  public static final SysSettings OFF = new SysSettings(Duration.ZERO);

  public boolean enabled() {
    return !interval.isZero();
  }
}
