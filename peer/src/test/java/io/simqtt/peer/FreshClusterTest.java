package io.simqtt.peer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base for test classes whose tests each get a fresh three-node cluster: they stop, restart or
 * otherwise leave nodes in a state the next test must not inherit (see {@link SharedClusterTest}
 * for the shared kind).
 */
abstract class FreshClusterTest {
  /** Node indexes: n1, n2, n3. */
  static final int A = 0;
  static final int B = 1;
  static final int C = 2;

  ClusterFixture cluster;

  @BeforeEach
  void startCluster() {
    cluster = ClusterFixture.start(3);
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }
}
