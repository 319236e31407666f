package io.simqtt.store;

import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.session.WriteHold;
import java.util.Collection;

/**
 * The forwards peers have not acknowledged, on a {@link DurableStore}: holding one is a write
 * queued to the store's writer, so it shares the group commit (and the durability point) of the
 * sessions' writes; an acknowledgement deletes the forwards it covers, one key each, in one
 * batch. Not as a range: a range tombstone per acknowledgement, hundreds a second, made the
 * flush of a recovered memtable take seconds (4.8 s for a 1.2 MB log), and with it every
 * restart after a kill.
 */
public final class DiskForwardJournal implements ForwardJournal {
  private final DurableStore store;
  private final GroupCommitWriter writer;

  public DiskForwardJournal(DurableStore store) {
    this.store = store;
    this.writer = store.writer();
  }

  @Override
  public boolean isDurable() {
    return true;
  }

  @Override
  public void hold(String peerId, long seq, byte[] forward) {
    writer.put(Family.FORWARDS, Keys.forward(peerId, seq), forward);
  }

  /** A hold of the sessions' store on the same writer holds it; any other cannot. */
  @Override
  public void holdUnder(String peerId, long seq, byte[] forward, WriteHold writes) {
    writer.put(Family.FORWARDS, Keys.forward(peerId, seq), forward, writes);
  }

  @Override
  public void release(String peerId, Collection<Long> seqs) {
    GroupCommitWriter.Writes deletes = new GroupCommitWriter.Writes();
    for (long seq : seqs) {
      deletes.delete(Family.FORWARDS, Keys.forward(peerId, seq));
    }
    writer.write(deletes);
  }

  @Override
  public void afterDurable(Runnable action) {
    writer.afterDurable(action);
  }

  @Override
  public void load(Held held) {
    store.forEach(
        Family.FORWARDS,
        (key, value) -> held.held(Keys.clientIdOf(key), Keys.seqOf(key), value));
  }
}
