package io.simqtt.core.cluster;

import io.simqtt.core.session.WriteHold;
import java.util.Collection;

/**
 * Where a node keeps the QoS 1/2 forwards (and redirects) its peers have not acknowledged yet,
 * beyond its heap, so a kill of the node does not lose them: a publisher's PUBACK waits for the
 * forwards its message caused to be written here, as it waits for its local sessions' entries
 * (see {@link io.simqtt.core.session.SessionStore}, whose durability point this shares). On the
 * next start the node sends them again. {@link #MEMORY} keeps nothing (the default).
 *
 * <p>Forwards are opaque bytes here (the peer protocol's own encoding), numbered per peer by the
 * link that sends them, rising across restarts. Thread-safe.
 */
public interface ForwardJournal {
  /** Keeps nothing. */
  ForwardJournal MEMORY = new ForwardJournal() {
    @Override
    public boolean isDurable() {
      return false;
    }

    @Override
    public void hold(String peerId, long seq, byte[] forward) {}

    @Override
    public void release(String peerId, Collection<Long> seqs) {}

    @Override
    public void load(Held held) {}

    @Override
    public void afterDurable(Runnable action) {
      action.run();
    }
  };

  /** Whether forwards reach disk (false for {@link #MEMORY}). */
  boolean isDurable();

  /** Forward {@code seq} to {@code peerId} is held until the peer acknowledges it. */
  void hold(String peerId, long seq, byte[] forward);

  /**
   * {@link #hold(String, long, byte[])} written under {@code writes} (see {@link WriteHold}): a
   * journal on the sessions' store keeps it out of the disk until that hold's release. One that
   * is not (it keeps nothing, or on the heap) has no batches to keep it out of. {@code writes}
   * null: as {@link #hold(String, long, byte[])}.
   */
  default void holdUnder(String peerId, long seq, byte[] forward, WriteHold writes) {
    hold(peerId, seq, forward);
  }

  /**
   * The forwards to {@code peerId} numbered {@code seqs} are no longer held; {@code seqs} is read
   * during the call only.
   */
  void release(String peerId, Collection<Long> seqs);

  /** What was held when the node stopped last, each peer's in number order. */
  void load(Held held);

  /**
   * Runs {@code action} once every hold and release made before this call is durable (at once
   * for {@link #MEMORY}), on a thread of the journal's; not at all if the journal stops first.
   */
  void afterDurable(Runnable action);

  /** One forward {@link #load} found. */
  @FunctionalInterface
  interface Held {
    void held(String peerId, long seq, byte[] forward);
  }
}
