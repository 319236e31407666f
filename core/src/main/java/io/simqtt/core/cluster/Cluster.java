package io.simqtt.core.cluster;

import io.simqtt.core.message.Message;

/** What the broker tells the rest of the cluster. */
public interface Cluster {

  /** A single node: nothing to tell anyone. */
  Cluster SINGLE_NODE = message -> 0;

  /**
   * Forwards a message accepted on this node to every other node with a matching subscription,
   * once per node. Returns how many nodes it was sent to.
   */
  int forward(Message message);
}
