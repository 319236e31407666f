package io.simqtt.core.session;

/**
 * A session this node is sending to another node, frozen here until that node says whether it
 * installed the state: {@link #confirm} makes this node redirect whatever still arrives for the
 * session, {@link #abort} resumes the session here with everything it held. Until one of them,
 * the state stays here too, so a lost answer never leaves the session with nobody.
 */
public final class HandOver {
  private final Session session;
  private final SessionSnapshot state;
  /** The session's will, back in force if the hand-over is aborted. */
  private final Will will;
  /** When that will goes out if the hand-over is aborted and no connection attaches. */
  private final long willDueAtMillis;
  /** When the session expires if the hand-over is aborted and no connection attaches. */
  private final long expiresAtMillis;

  HandOver(
      Session session, SessionSnapshot state, Will will, long willDueAtMillis,
      long expiresAtMillis) {
    this.session = session;
    this.state = state;
    this.will = will;
    this.willDueAtMillis = willDueAtMillis;
    this.expiresAtMillis = expiresAtMillis;
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

  /** What is sent to the new owner. */
  public SessionSnapshot state() {
    return state;
  }

  /** The new owner installed the state: this node becomes a redirect to {@code newOwner}. */
  public void confirm(String newOwner) {
    session.execute(() -> session.handOverConfirmed(this, newOwner));
  }

  /** The state was not installed (refused, lost, timed out): the session resumes here. */
  public void abort() {
    session.execute(() -> session.handOverAborted(this));
  }
}
