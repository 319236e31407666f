package io.simqtt.peer;

import io.simqtt.core.cluster.ForwardJournal;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * A journal that says it is durable and keeps its forwards on the heap of the test, so one
 * object outlives the nodes that {@link ClusterFixture#restart} makes: what it holds is what a
 * node restarted on its store finds. {@link #loseReleases} makes it forget the releases from then
 * on, as a kill does that comes after the peer's acknowledgement and before the delete of what it
 * acknowledged reached the disk.
 */
final class HeapForwardJournal implements ForwardJournal {
  /** Per peer: forwards by number. */
  private final Map<String, TreeMap<Long, byte[]>> held = new TreeMap<>();
  private boolean releasesLost;

  @Override
  public boolean isDurable() {
    return true;
  }

  @Override
  public synchronized void hold(String peerId, long seq, byte[] forward) {
    held.computeIfAbsent(peerId, p -> new TreeMap<>()).put(seq, forward);
  }

  @Override
  public synchronized void release(String peerId, Collection<Long> seqs) {
    if (releasesLost) {
      return;
    }
    TreeMap<Long, byte[]> forwards = held.get(peerId);
    if (forwards != null) {
      seqs.forEach(forwards::remove);
    }
  }

  @Override
  public synchronized void load(Held to) {
    held.forEach((peerId, forwards) -> forwards.forEach((seq, f) -> to.held(peerId, seq, f)));
  }

  /** From now on releases are not kept (until {@link #keepReleases}). */
  synchronized void loseReleases() {
    releasesLost = true;
  }

  synchronized void keepReleases() {
    releasesLost = false;
  }

  /** How many forwards to {@code peerId} it holds. */
  synchronized int count(String peerId) {
    TreeMap<Long, byte[]> forwards = held.get(peerId);
    return forwards == null ? 0 : forwards.size();
  }
}
