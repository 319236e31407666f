package io.simqtt.core.it;

import io.simqtt.core.auth.Access;
import io.simqtt.core.auth.Authorizer;
import io.simqtt.core.auth.ClientAccess;
import io.simqtt.core.auth.ClientIdentity;

/**
 * An authorizer plug-in that answers nothing itself ({@link Access#NOT_MINE}, so the next in the
 * chain decides) and fails, as an HTTP one that is down does, for one client id while told to:
 * everywhere, or everywhere but on the threads that check CONNECTs. State is static, so the test
 * reaches the instance a broker loads from a plug-in jar that only names this class (the class
 * itself comes from the test's class path).
 */
public final class FlakyAuthorizer implements Authorizer {
  private static volatile String downFor;
  private static volatile boolean connectsToo;

  /** From now on it fails for {@code clientId}, on CONNECT's threads too if {@code connects}. */
  static void downFor(String clientId, boolean connects) {
    connectsToo = connects;
    downFor = clientId;
  }

  /** It answers for everyone again. */
  static void up() {
    downFor = null;
  }

  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public ClientAccess accessFor(ClientIdentity client) {
    boolean connectCheck = Thread.currentThread().getName().startsWith("simqtt-auth-");
    if (client.clientId().equals(downFor) && (connectsToo || !connectCheck)) {
      throw new IllegalStateException("the authorization service is down (test)");
    }
    return (action, topic, qos, retain) -> Access.NOT_MINE;
  }
}
