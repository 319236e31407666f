package io.simqtt.core.cluster;

import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;

/**
 * Where a node keeps which forwards of each peer it has taken, beyond its heap, so a forward a
 * peer sends again after this node restarted (its acknowledgement was lost with the node) is not
 * delivered twice. Per peer, for the peer's incarnation whose forwards these are: a watermark
 * (every forward numbered up to it is taken) and ranges beyond it that are taken too, while one
 * before them is still being written. A record is written once the copies of the forwards it
 * covers are queued to the same store, and the acknowledgement of those forwards waits for the
 * durability point after it, so a record is never durable before the copies it guards. {@link
 * #MEMORY} keeps nothing (the default). Thread-safe.
 */
public interface SeenForwards {
  /** Keeps nothing. */
  SeenForwards MEMORY = new SeenForwards() {
    @Override
    public void advance(String peerId, long incarnation, long through, Collection<Long> passed) {}

    @Override
    public void range(String peerId, long incarnation, long first, long last) {}

    @Override
    public void forget(String peerId, long incarnation) {}

    @Override
    public List<Seen> load() {
      return List.of();
    }
  };

  /**
   * Every forward of {@code peerId}'s {@code incarnation} numbered up to {@code through} is taken;
   * the ranges beginning at {@code passed} (recorded before, now under the watermark) go, in the
   * same write. {@code passed} is read during the call only.
   */
  void advance(String peerId, long incarnation, long through, Collection<Long> passed);

  /** The forwards numbered {@code first} to {@code last}, beyond the watermark, are taken. */
  void range(String peerId, long incarnation, long first, long last);

  /**
   * What is kept of {@code peerId}'s {@code incarnation} goes: the peer came back as another
   * one, or is no peer any more.
   */
  void forget(String peerId, long incarnation);

  /** What was kept when the node stopped last: one entry per peer and incarnation. */
  List<Seen> load();

  /**
   * What is kept of one incarnation of a peer.
   *
   * @param through every forward numbered up to it was taken
   * @param beyond ranges above {@code through} taken as well: first number to last
   */
  record Seen(String peerId, long incarnation, long through, NavigableMap<Long, Long> beyond) {}
}
