package io.simqtt.peer;

import io.simqtt.proto.peer.PeerFrame;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** This node's {@link OutboundLink}s, one per configured peer, fixed once the cluster starts. */
final class OutboundLinks implements LinkDirectory {
  private final Map<String, OutboundLink> links = new LinkedHashMap<>();
  private final long deadAfterNanos;
  private volatile boolean closed;

  OutboundLinks(long deadAfterNanos) {
    this.deadAfterNanos = deadAfterNanos;
  }

  /** Called while the cluster starts, before any link runs. */
  void add(OutboundLink link) {
    links.put(link.peerId(), link);
  }

  OutboundLink get(String peerId) {
    return links.get(peerId);
  }

  /** The node is stopping: every link takes nothing more (see {@link OutboundLink#close}). */
  void close() {
    closed = true;
    links.values().forEach(OutboundLink::close);
  }

  /**
   * Whether {@link #close} began: a forward a link refused was refused for this (else it has a
   * link).
   */
  boolean isClosed() {
    return closed;
  }

  Collection<OutboundLink> all() {
    return Collections.unmodifiableCollection(links.values());
  }

  @Override
  public List<String> upPeers() {
    List<String> up = new ArrayList<>();
    for (OutboundLink l : links.values()) {
      if (l.state() == OutboundLink.State.UP) {
        up.add(l.peerId());
      }
    }
    return up;
  }

  @Override
  public boolean hasSuspectPeers() {
    for (OutboundLink l : links.values()) {
      if (l.isSuspect(deadAfterNanos)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void send(String peerId, PeerFrame frame) {
    OutboundLink l = links.get(peerId);
    if (l != null) {
      l.sendControl(frame);
    }
  }

  @Override
  public void sendWhenUp(String peerId, PeerFrame frame) {
    OutboundLink l = links.get(peerId);
    if (l != null) {
      l.sendWhenUp(frame);
    }
  }

  @Override
  public void sendToAll(PeerFrame frame) {
    for (OutboundLink l : links.values()) {
      l.sendControl(frame);
    }
  }

  /**
   * Publishers waiting for room on the link to a peer that is now dead go on (its stream into
   * this node may still be up, so the route withdrawal alone would not do it).
   */
  void releaseDeadLinks() {
    for (OutboundLink l : links.values()) {
      if (l.state() != OutboundLink.State.UP && !l.isSuspect(deadAfterNanos)) {
        l.stopHoldingPublishers();
      }
    }
  }
}
