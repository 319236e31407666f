package io.simqtt.core.session;

/**
 * Writes that must not become durable without what their releaser writes last: a {@link
 * SessionStore} (and a {@link io.simqtt.core.cluster.ForwardJournal} on the same store) writing
 * under a hold keeps every write made under it out of the disk until {@link #release}, and puts
 * them, with every write queued before the release (on any thread), into one atomic unit. So a
 * record written just before the release (a publisher's QoS 2 id once every copy of its message
 * is written) survives a crash exactly when every copy does.
 *
 * <p>The release must come, and soon: the store keeps its other writes waiting meanwhile, up to a
 * bound after which it writes them anyway (counted), and the atomicity is lost for that hold.
 * Thread-safe; released once.
 */
public interface WriteHold {
  /** A store that keeps nothing holds nothing. */
  WriteHold NONE = () -> { };

  /** What is queued to the store up to now may go to disk, in one unit with the held writes. */
  void release();
}
