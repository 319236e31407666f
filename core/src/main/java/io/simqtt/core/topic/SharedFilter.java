package io.simqtt.core.topic;

/** The parts of {@code $share/{group}/{filter}}. */
public record SharedFilter(String group, String filter) {

  /** The full shared filter as a client writes it. */
  public String shareName() {
    return Topics.SHARE_PREFIX + group + '/' + filter;
  }
}
