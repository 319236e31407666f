package io.simqtt.core.routing;

import io.simqtt.core.cluster.Backpressure;

/** A publisher that can be slowed when a message it sent fills a peer link beyond its budget. */
public interface PublishPacer {
  /** Stop taking messages from this publisher until {@code pressure} is relieved. */
  void slowDown(Backpressure pressure);
}
