package com.example.simqtt;

import io.simqtt.core.auth.AuthDecision;
import io.simqtt.core.auth.Authenticator;
import io.simqtt.core.auth.ConnectAttempt;

/**
 * An example si-mqtt authentication plug-in: a client that names a user must use a client id
 * starting with that user name ("alice" may connect as "alice-sensor-1", not as "bob-1").
 *
 * <p>It says nothing about the password: put it before the password file in the chain, so it
 * refuses the wrong ids and leaves the rest to the file:
 *
 * <pre>
 * mqtt.auth {
 *   password-file = "/etc/si-mqtt/passwd"
 *   plugin-dir = "/etc/si-mqtt/plugins"          # the jar of this class
 *   chain = ["client-id-prefix", "password-file"]
 * }
 * </pre>
 *
 * The jar lists this class in META-INF/services/io.simqtt.core.auth.Authenticator. AuthPluginTest
 * compiles it, builds that jar and starts a node with it.
 */
public final class ClientIdPrefix implements Authenticator {

  @Override
  public String name() {
    return "client-id-prefix";
  }

  @Override
  public AuthDecision authenticate(ConnectAttempt attempt) {
    if (attempt.userName() == null || attempt.clientId().startsWith(attempt.userName())) {
      return AuthDecision.notMine();
    }
    return AuthDecision.notAuthorized(
        "client id " + attempt.clientId() + " does not start with " + attempt.userName());
  }
}
