package io.simqtt.core.overload;

import io.simqtt.config.LimitSettings;
import io.simqtt.core.metrics.BrokerMetrics;

/**
 * How fast one client may send: PUBLISH packets and bytes (of every packet) per second, each a
 * {@link TokenBucket}. What has been read is always charged, so a client over its rate goes into
 * debt, and its connection stops reading for as long as the debt lasts: over any span the client
 * gets at most one second's worth plus the rate times the span through, plus one packet. One per
 * connection that has sent CONNECT, and only when a limit is set; confined to the connection's
 * event loop.
 */
public final class InboundRate {
  private final TokenBucket messages;
  private final TokenBucket bytes;

  private InboundRate(LimitSettings limits, long now) {
    this.messages = limits.maxMessagesPerSecond() > 0
        ? new TokenBucket(limits.maxMessagesPerSecond(), now)
        : null;
    this.bytes = limits.maxBytesPerSecond() > 0
        ? new TokenBucket(limits.maxBytesPerSecond(), now)
        : null;
  }

  /** A full rate for a new client, or null when {@code limits} sets none. */
  public static InboundRate of(LimitSettings limits, long now) {
    return limits.limitsInboundRate() ? new InboundRate(limits, now) : null;
  }

  /**
   * Charges one packet of {@code size} bytes read at {@code now}; returns the nanoseconds to stop
   * reading for, 0 to go on. A pause is counted by the limit that asks for the longer one.
   */
  public long charge(boolean publish, int size, long now, BrokerMetrics metrics) {
    long messageWait = publish && messages != null ? messages.charge(1, now) : 0;
    long byteWait = bytes != null ? bytes.charge(size, now) : 0;
    if (messageWait == 0 && byteWait == 0) {
      return 0;
    }
    metrics.clientReadsPaused(byteWait > messageWait);
    return Math.max(messageWait, byteWait);
  }
}
