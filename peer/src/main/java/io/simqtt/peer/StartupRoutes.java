package io.simqtt.peer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * While the node starts: which peers have sent it their routes, or turned out unreachable. The
 * cluster's start waits (bounded) until every peer is one or the other, and only then do the
 * listeners open: a node (re)started in a running cluster would otherwise take its first
 * publishes before it knows of any subscriber on another node, and answer them "no matching
 * subscribers". A peer that is down does not hold the start: the first failed dial settles it.
 */
final class StartupRoutes {
  private final Collection<String> peers;
  private final Set<String> settled = ConcurrentHashMap.newKeySet();
  private final CountDownLatch pending;

  StartupRoutes(Collection<String> peers) {
    this.peers = List.copyOf(peers);
    this.pending = new CountDownLatch(this.peers.size());
  }

  /** The peer's full routes arrived, or a link to it failed: it no longer holds the start. */
  void settled(String peerId) {
    if (settled.add(peerId)) {
      pending.countDown();
    }
  }

  /**
   * Waits up to {@code bound} of real time for every peer to settle (a frozen peer is given up
   * on by the links' own silence timeout, within the bound); returns those that did not.
   */
  List<String> await(Duration bound) throws InterruptedException {
    pending.await(bound.toMillis(), TimeUnit.MILLISECONDS);
    return peers.stream().filter(p -> !settled.contains(p)).sorted().toList();
  }
}
