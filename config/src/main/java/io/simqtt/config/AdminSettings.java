package io.simqtt.config;

/**
 * The gRPC admin API of a node.
 *
 * @param enabled whether the node serves it
 * @param listen where it listens (loopback by default: it can kick clients and delete data)
 * @param token bearer token every call must carry; "" only on a loopback host (no check then)
 * @param readOnlyToken a second bearer token that may only make the calls that change nothing;
 *     "" for none
 * @param tls the certificate the API presents, or null for plain gRPC
 */
public record AdminSettings(
    boolean enabled, ListenerSettings listen, String token, String readOnlyToken,
    EndpointTls tls) {

  /** Without TLS. */
  public AdminSettings(
      boolean enabled, ListenerSettings listen, String token, String readOnlyToken) {
    this(enabled, listen, token, readOnlyToken, null);
  }

  /** Off: for settings built in code, which should not open ports nobody asked for. */
  public static final AdminSettings OFF =
      new AdminSettings(false, new ListenerSettings("127.0.0.1", 0), "", "");
}
