package io.simqtt.core.retain;

import io.simqtt.config.RetainedSettings;
import io.simqtt.core.metrics.BrokerMetrics;
import java.util.function.LongSupplier;

/**
 * Makes a broker's retained store from the broker's own parts: {@code MemoryRetainedStore::new}
 * in memory, a disk store in durable mode.
 */
@FunctionalInterface
public interface RetainedStoreFactory {
  /**
   * @param clock wall-clock milliseconds
   * @param metrics where tombstones dropped early are counted
   */
  RetainedStore create(RetainedSettings settings, LongSupplier clock, BrokerMetrics metrics);
}
