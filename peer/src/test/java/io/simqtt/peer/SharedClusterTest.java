package io.simqtt.peer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base for test classes whose tests share one three-node cluster, started before the first test
 * and closed after the last. Tests that stop or restart nodes want a fresh cluster each instead.
 */
abstract class SharedClusterTest {
  /** Node indexes: n1, n2, n3. */
  static final int A = 0;
  static final int B = 1;
  static final int C = 2;

  static ClusterFixture cluster;

  @BeforeAll
  static void startCluster() {
    cluster = ClusterFixture.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }
}
