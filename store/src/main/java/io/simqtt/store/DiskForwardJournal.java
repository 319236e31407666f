package io.simqtt.store;

import io.simqtt.core.cluster.ForwardJournal;

/**
 * The forwards peers have not acknowledged, on a {@link DurableStore}: holding one is a write
 * queued to the store's writer, so it shares the group commit (and the durability point) of the
 * sessions' writes; an acknowledgement deletes the peer's range up to its number.
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

  @Override
  public void release(String peerId, long throughSeq) {
    writer.write(new GroupCommitWriter.Writes().deleteRange(
        Family.FORWARDS, Keys.forward(peerId, Long.MIN_VALUE), Keys.forward(peerId, throughSeq + 1)));
  }

  @Override
  public void load(Held held) {
    store.forEach(
        Family.FORWARDS,
        (key, value) -> held.held(Keys.clientIdOf(key), Keys.seqOf(key), value));
  }
}
