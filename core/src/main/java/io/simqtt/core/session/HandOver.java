package io.simqtt.core.session;

/**
 * A session this node is sending to another node, frozen here until that node says whether it
 * installed the state: {@link #confirm} makes this node redirect whatever still arrives for the
 * session, {@link #abort} resumes the session here with everything it held. Until one of them,
 * the state stays here too (and, for a stored session, in the store), so a lost answer never
 * leaves the session with nobody.
 *
 * <p>The state goes in two parts: {@link #state}, everything the session held on the heap, and
 * {@link #backlog}, the queued messages that lie on this node's disk only, read a page at a time
 * so that a large session moves with bounded memory on both nodes.
 */
public final class HandOver {
  private final Session session;
  private final SessionSnapshot state;
  /** The messages as they froze, put back as they were if the hand-over is aborted. */
  private final FrozenOutbound messages;
  /** The inbound QoS 2 ids awaiting PUBREL (null if none), put back too. */
  private final InboundQos2 inboundQos2;
  /** The session's will, back in force if the hand-over is aborted. */
  private final Will will;
  /** When that will goes out if the hand-over is aborted and no connection attaches. */
  private final long willDueAtMillis;
  /** When the session expires if the hand-over is aborted and no connection attaches. */
  private final long expiresAtMillis;

  HandOver(
      Session session,
      SessionSnapshot state,
      FrozenOutbound messages,
      InboundQos2 inboundQos2,
      Will will,
      long willDueAtMillis,
      long expiresAtMillis) {
    this.session = session;
    this.state = state;
    this.messages = messages;
    this.inboundQos2 = inboundQos2;
    this.will = will;
    this.willDueAtMillis = willDueAtMillis;
    this.expiresAtMillis = expiresAtMillis;
  }

  FrozenOutbound messages() {
    return messages;
  }

  InboundQos2 inboundQos2() {
    return inboundQos2;
  }

  Will will() {
    return will;
  }

  long willDueAtMillis() {
    return willDueAtMillis;
  }

  long expiresAtMillis() {
    return expiresAtMillis;
  }

  public String clientId() {
    return session.clientId();
  }

  /** What is sent to the new owner first: all the session held but {@link #backlog}. */
  public SessionSnapshot state() {
    return state;
  }

  /**
   * A cursor over the queued messages behind {@link #state} that lie on disk only, in order, to
   * send after it; null when there are none. Each call starts from the beginning.
   */
  public BacklogCursor backlog() {
    return messages == null || messages.backlog == null
        ? null
        : new BacklogCursor(session.context.store(), session.clientId(), messages.backlog);
  }

  /** The new owner installed the state: this node becomes a redirect to {@code newOwner}. */
  public void confirm(String newOwner) {
    session.execute(() -> SessionMove.confirmed(session, this, newOwner));
  }

  /** The state was not installed (refused, lost, timed out): the session resumes here. */
  public void abort() {
    session.execute(() -> SessionMove.aborted(session, this));
  }
}
