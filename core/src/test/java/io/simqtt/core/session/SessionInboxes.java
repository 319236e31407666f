package io.simqtt.core.session;

/**
 * How many sessions have an inbox ({@link SerialExecutor}: made on the first task handed over from
 * another thread, ~600 bytes, kept for the session's life). Shared with peer's tests through
 * core's test-jar, so that they can tell whether a read from outside touched every session.
 */
public final class SessionInboxes {
  private SessionInboxes() {}

  public static long count(SessionRegistry registry) {
    return registry.all().stream().filter(SerialExecutor::hasInbox).count();
  }
}
