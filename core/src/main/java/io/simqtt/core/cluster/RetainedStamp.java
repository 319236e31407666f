package io.simqtt.core.cluster;

/**
 * Orders writes to one retained topic across the cluster: the higher hybrid logical clock wins,
 * then the higher node id, so every node picks the same last writer.
 */
public record RetainedStamp(long hlc, String nodeId) implements Comparable<RetainedStamp> {
  @Override
  public int compareTo(RetainedStamp o) {
    int c = Long.compare(hlc, o.hlc);
    return c != 0 ? c : nodeId.compareTo(o.nodeId);
  }

  public boolean isNewerThan(RetainedStamp o) {
    return o == null || compareTo(o) > 0;
  }
}
