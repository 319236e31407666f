package io.simqtt.core.auth;

/**
 * Lets in a client whose TLS certificate names it, under that name (mqtt.tls.
 * identity-as-user-name): the listener has already put the certificate's identity in place of
 * the CONNECT's user name, and the handshake has proved the certificate chains to the CA. Any
 * other client is left to the next authenticator.
 */
public final class CertificateAuthenticator implements Authenticator {

  @Override
  public String name() {
    return "certificate";
  }

  @Override
  public AuthDecision authenticate(ConnectAttempt attempt) {
    String identity = attempt.certificateIdentity();
    return identity != null && identity.equals(attempt.userName())
        ? AuthDecision.allow()
        : AuthDecision.notMine();
  }

  @Override
  public boolean checksPasswords() {
    return false;
  }
}
