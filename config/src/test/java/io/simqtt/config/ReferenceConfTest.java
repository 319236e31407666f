package io.simqtt.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

/** reference.conf is the operator's manual: keep every key explained. */
class ReferenceConfTest {

  @Test
  void everyKeyHasAComment() {
    Config reference = ConfigFactory.parseResources("reference.conf");
    for (String key : SettingsLoader.knownKeys()) {
      assertFalse(reference.getValue(key).origin().comments().isEmpty(),
          key + " has no comment in reference.conf");
    }
  }

  @Test
  void knownKeysCoverEverySection() {
    assertTrue(SettingsLoader.knownKeys().contains("node.id"));
    assertTrue(SettingsLoader.knownKeys().contains("mqtt.limits.max-packet-size"));
    assertTrue(SettingsLoader.knownKeys().contains("cluster.peers"));
  }
}
