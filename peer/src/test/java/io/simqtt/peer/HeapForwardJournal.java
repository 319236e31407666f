package io.simqtt.peer;

import io.simqtt.core.cluster.ForwardJournal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A journal that says it is durable and keeps its forwards on the heap of the test, so one
 * object outlives the nodes that {@link ClusterFixture#restart} makes: what it holds is what a
 * node restarted on its store finds. Holds are durable at once. {@link #holdReleases} makes the
 * releases from then on wait, with the {@link #afterDurable} actions behind them, as on a disk
 * that has not synced them yet: {@link #kill} loses what waits, as a kill of the node does, and
 * {@link #sync} makes it durable.
 */
final class HeapForwardJournal implements ForwardJournal {
  /** Per peer: forwards by number. */
  private final Map<String, TreeMap<Long, byte[]>> held = new TreeMap<>();
  private boolean releasesHeld;
  /** Releases and actions waiting to be durable, in the order they came. */
  private final List<Runnable> waiting = new ArrayList<>();

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
    List<Long> copy = List.copyOf(seqs);
    Runnable release = () -> {
      TreeMap<Long, byte[]> forwards = held.get(peerId);
      if (forwards != null) {
        copy.forEach(forwards::remove);
      }
    };
    if (releasesHeld) {
      waiting.add(release);
    } else {
      release.run();
    }
  }

  @Override
  public void afterDurable(Runnable action) {
    synchronized (this) {
      if (releasesHeld) {
        waiting.add(action);
        return;
      }
    }
    action.run();
  }

  @Override
  public synchronized void load(Held to) {
    held.forEach((peerId, forwards) -> forwards.forEach((seq, f) -> to.held(peerId, seq, f)));
  }

  /** From now on releases (and the actions after them) wait for {@link #sync} or {@link #kill}. */
  synchronized void holdReleases() {
    releasesHeld = true;
  }

  /** What waits is lost, as a kill of the node loses what was not durable; releases still wait. */
  synchronized void kill() {
    waiting.clear();
  }

  /** What waits becomes durable (and the actions run), and releases no longer wait. */
  synchronized void sync() {
    releasesHeld = false;
    waiting.forEach(Runnable::run);
    waiting.clear();
  }

  /** How many forwards to {@code peerId} it holds. */
  synchronized int count(String peerId) {
    TreeMap<Long, byte[]> forwards = held.get(peerId);
    return forwards == null ? 0 : forwards.size();
  }
}
