package io.simqtt.core.metrics;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Node-wide counters. LongAdders because every event loop bumps them; reads are rare (scrapes,
 * tests) and may be slightly stale.
 */
public final class BrokerMetrics {
  private final LongAdder connectionsOpened = new LongAdder();
  private final LongAdder connectionsClosed = new LongAdder();
  private final LongAdder connectsAccepted = new LongAdder();
  private final Map<Integer, LongAdder> connectsRefused = new ConcurrentHashMap<>();
  private final LongAdder attachesGivenUp = new LongAdder();
  private final LongAdder authChecksGivenUp = new LongAdder();
  private final LongAdder claimsGivenUp = new LongAdder();
  private final LongAdder[] messagesIn = newAdders(3);
  private final LongAdder[] messagesOut = newAdders(3);
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final EnumMap<DropReason, LongAdder> drops = new EnumMap<>(DropReason.class);
  private final LongAdder protocolErrors = new LongAdder();
  private final LongAdder publishersSlowed = new LongAdder();
  private final LongAdder readsPausedForMessages = new LongAdder();
  private final LongAdder readsPausedForBytes = new LongAdder();
  private final LongAdder retainedTombstonesDropped = new LongAdder();
  private final LongAdder willsKept = new LongAdder();
  private final LongAdder willsSentAgain = new LongAdder();

  public BrokerMetrics() {
    for (DropReason r : DropReason.values()) {
      drops.put(r, new LongAdder());
    }
  }

  private static LongAdder[] newAdders(int n) {
    LongAdder[] a = new LongAdder[n];
    for (int i = 0; i < n; i++) {
      a[i] = new LongAdder();
    }
    return a;
  }

  public void connectionOpened() {
    connectionsOpened.increment();
  }

  public void connectionClosed() {
    connectionsClosed.increment();
  }

  public void connectAccepted() {
    connectsAccepted.increment();
  }

  public void connectRefused(int reasonCode) {
    connectsRefused.computeIfAbsent(reasonCode, k -> new LongAdder()).increment();
  }

  /**
   * A CONNECT's attach waited {@code mqtt.limits.connect-timeout} for its session's read of the
   * disk: answered 0x88 (also counted in {@link #connectRefused}).
   */
  public void attachGivenUp() {
    attachesGivenUp.increment();
  }

  public long attachesGivenUp() {
    return attachesGivenUp.sum();
  }

  /**
   * A CONNECT's credential check (authenticators, authorizers) did not end within {@code
   * mqtt.limits.connect-timeout}: answered 0x88 (also counted in {@link #connectRefused}).
   */
  public void authCheckGivenUp() {
    authChecksGivenUp.increment();
  }

  public long authChecksGivenUp() {
    return authChecksGivenUp.sum();
  }

  /**
   * A CONNECT's claim of its session in the cluster was not answered within {@code
   * mqtt.limits.connect-timeout}: answered 0x88 (also counted in {@link #connectRefused}).
   */
  public void claimGivenUp() {
    claimsGivenUp.increment();
  }

  public long claimsGivenUp() {
    return claimsGivenUp.sum();
  }

  public void messageIn(int qos, int bytes) {
    messagesIn[qos].increment();
    bytesIn.add(bytes);
  }

  public void messageOut(int qos, int bytes) {
    messagesOut[qos].increment();
    bytesOut.add(bytes);
  }

  public void dropped(DropReason reason) {
    drops.get(reason).increment();
  }

  public void protocolError() {
    protocolErrors.increment();
  }

  /** A publisher's socket stopped being read because a peer link was over its budget. */
  public void publisherSlowed() {
    publishersSlowed.increment();
  }

  /**
   * A client went over mqtt.limits.max-messages-per-second ({@code forBytes} false) or
   * max-bytes-per-second (true), and its socket stops being read for a while.
   */
  public void clientReadsPaused(boolean forBytes) {
    (forBytes ? readsPausedForBytes : readsPausedForMessages).increment();
  }

  /**
   * {@code count} tombstones of cleared or expired retained messages were forgotten before their
   * retention because the bound on tombstones was reached.
   */
  public void retainedTombstonesDropped(int count) {
    retainedTombstonesDropped.add(count);
  }

  /**
   * {@code delta} wills of stored sessions were kept in the store until their copies are durable
   * (1), or removed once they were (-1).
   */
  public void willKept(int delta) {
    willsKept.add(delta);
  }

  /**
   * A will the store kept through a restart (its copies not all durable, or its client's
   * permissions unknown) went out again.
   */
  public void willSentAgain() {
    willsSentAgain.increment();
  }

  public long currentConnections() {
    return connectionsOpened.sum() - connectionsClosed.sum();
  }

  /** Connections (sockets) opened so far. */
  public long connectionsOpened() {
    return connectionsOpened.sum();
  }

  public long connectsAccepted() {
    return connectsAccepted.sum();
  }

  public long connectsRefused(int reasonCode) {
    LongAdder a = connectsRefused.get(reasonCode);
    return a == null ? 0 : a.sum();
  }

  /** Refused CONNECTs so far, by reason code. */
  public Map<Integer, Long> connectsRefused() {
    Map<Integer, Long> copy = new java.util.TreeMap<>();
    connectsRefused.forEach((code, n) -> copy.put(code, n.sum()));
    return copy;
  }

  public long messagesIn(int qos) {
    return messagesIn[qos].sum();
  }

  public long messagesOut(int qos) {
    return messagesOut[qos].sum();
  }

  public long bytesIn() {
    return bytesIn.sum();
  }

  public long bytesOut() {
    return bytesOut.sum();
  }

  public long drops(DropReason reason) {
    return drops.get(reason).sum();
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  public long publishersSlowed() {
    return publishersSlowed.sum();
  }

  /** Pauses in reading a client over its message rate so far. */
  public long readsPausedForMessages() {
    return readsPausedForMessages.sum();
  }

  /** Pauses in reading a client over its byte rate so far. */
  public long readsPausedForBytes() {
    return readsPausedForBytes.sum();
  }

  /** Tombstones of retained messages forgotten early (the bound was reached) so far. */
  public long retainedTombstonesDropped() {
    return retainedTombstonesDropped.sum();
  }

  /** Wills kept in the store now, waiting for their copies to be durable. */
  public long willsKept() {
    return willsKept.sum();
  }

  /** Wills sent again after a restart so far. */
  public long willsSentAgain() {
    return willsSentAgain.sum();
  }
}
