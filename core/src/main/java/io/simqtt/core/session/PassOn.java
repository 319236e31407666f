package io.simqtt.core.session;

import io.simqtt.core.routing.DeliveryReceipt;
import java.util.List;

/**
 * Deliveries a stored session passes on from its own entries (what it held when it moves to
 * another node or yields to one after a healed partition; a shared-subscription delivery given to
 * another member of its group), and when the store may let those entries go. Each delivery handed
 * on counts on {@link #receipt} until its new holder has written it (another session's entry, a
 * link's forward journal); once that is durable, {@link Session#passedOn} runs as a task of the
 * session and the entries go. Until then they stay in the store: a kill -9 between the two store
 * batches finds the message on one side at least. (One exception, in docs/FAULTS.md: a new
 * connection here that replaces the session's state whole deletes those entries at once, even if
 * the link has not journaled their redirects yet.)
 *
 * <p>While one is outstanding its {@link SessionJournal} counts it: a session that leaves the
 * store meanwhile (it moved on, ended, its expiry turned 0) keeps what the store holds of it until
 * the last one completes (see {@link Session#passedOn}), and one written whole again meanwhile (a
 * new connection) replaces it in one atomic unit, after which the entries are not its to remove.
 */
final class PassOn {
  final SessionJournal journal;
  /** The entries handed on, to remove while the session still writes through {@link #journal}. */
  final List<Long> seqs;
  final DeliveryReceipt receipt;

  private PassOn(Session session, SessionStore store, SessionJournal journal, List<Long> seqs) {
    this.journal = journal;
    this.seqs = seqs;
    this.receipt =
        new DeliveryReceipt(
            written -> {
              Runnable done = () -> session.execute(() -> session.passedOn(this));
              if (written) {
                store.afterDurable(done);
              } else {
                done.run(); // nothing was written anywhere: nothing to wait for
              }
            });
  }

  /**
   * Starts passing on what {@code session}, writing through {@code journal}, held under {@code
   * seqs} (empty when it leaves the store whole); hand each delivery on counted on {@link
   * #receipt}, then call {@link #handedOut}.
   */
  static PassOn start(Session session, SessionStore store, SessionJournal journal, List<Long> seqs) {
    journal.passOnStarted();
    return new PassOn(session, store, journal, seqs);
  }

  /** Every delivery is handed on: the receipt may complete once their holders have them. */
  void handedOut() {
    receipt.routed();
  }
}
