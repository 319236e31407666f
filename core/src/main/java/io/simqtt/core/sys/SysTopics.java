package io.simqtt.core.sys;

/** The broker-owned topic space. */
public final class SysTopics {
  /** Every topic the broker publishes about itself starts with this. */
  public static final String PREFIX = "$SYS/";

  private SysTopics() {}

  public static boolean isSys(String topic) {
    return topic.startsWith(PREFIX);
  }
}
