package io.simqtt.store;

/**
 * Why the store's writer cut a hold ({@link GroupCommitWriter}): wrote its writes before its
 * release came, giving up its unit's atomicity. The label of {@code simqtt_store_holds_cut_total}.
 */
public enum HoldCut {
  /** Open for the writer's bound since it took the hold's first write. */
  AGE("age"),
  /**
   * A thread waited for room in the writer's queue (full, in writes or bytes) while nothing else
   * could be written.
   */
  ROOM("room"),
  /** A read that blocks its thread until the writes before it are in came behind the hold. */
  READ("read"),
  /** The store closed (or gave up on a failing disk) with the hold open. */
  CLOSE("close");

  private final String label;

  HoldCut(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
