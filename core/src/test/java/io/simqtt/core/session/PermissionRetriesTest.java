package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Recovery's questions to the authorizers: bounded in time, each answer for its own client. */
class PermissionRetriesTest {

  /**
   * Two threads, three clients, the authorizer hanging for the second: the other thread answers
   * the first and the third, and the second, not answered within the wait, is unknown.
   */
  @Test
  void aClientNotAnsweredWithinTheWaitIsUnknownAndTheOthersGetTheirOwnAnswers() {
    ClientIdentity a = client("a");
    ClientIdentity b = client("b");
    ClientIdentity c = client("c");
    CountDownLatch hang = new CountDownLatch(1);
    PermissionRetries retries = new PermissionRetries(who -> {
      if (who == b) {
        try {
          hang.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Permissions.ALL;
    }, 2, Duration.ofMillis(200));
    try {
      List<Permissions> answers = retries.resolveAll(List.of(a, b, c));
      assertEquals(List.of(true, false, true),
          answers.stream().map(Permissions::isKnown).toList());
      assertSame(b, answers.get(1).client(), "unknown for the client not answered");
    } finally {
      hang.countDown();
      retries.close();
    }
  }

  private static ClientIdentity client(String id) {
    return new ClientIdentity(id, null, null, "tcp", null);
  }
}
