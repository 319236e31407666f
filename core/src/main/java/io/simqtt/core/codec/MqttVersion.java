package io.simqtt.core.codec;

/** Protocol level from CONNECT; chosen once per connection. */
public enum MqttVersion {
  MQTT_3_1("MQIsdp", 3),
  MQTT_3_1_1("MQTT", 4),
  MQTT_5("MQTT", 5);

  private final String protocolName;
  private final int level;

  MqttVersion(String protocolName, int level) {
    this.protocolName = protocolName;
    this.level = level;
  }

  public String protocolName() {
    return protocolName;
  }

  public int level() {
    return level;
  }

  public boolean isV5() {
    return this == MQTT_5;
  }

  /** The version for a protocol name and level, or null when the pair is not a known one. */
  public static MqttVersion of(String protocolName, int level) {
    for (MqttVersion v : values()) {
      if (v.level == level && v.protocolName.equals(protocolName)) {
        return v;
      }
    }
    return null;
  }
}
