package io.simqtt.config;

/**
 * One MQTT listener.
 *
 * @param name its key under mqtt.listeners: what authenticators see as the client's listener,
 *     and its label in logs, status and metrics
 * @param type what it speaks
 * @param host the address it binds
 * @param port its port; 0 asks the OS for a free one (tests)
 * @param proxyProtocol every connection starts with a PROXY protocol (v1 or v2) header naming
 *     the client's real address
 * @param path the HTTP path of the WebSocket upgrade (ws, wss; null otherwise)
 * @param forwardedFor the client's address is the first entry of the upgrade request's
 *     X-Forwarded-For header (ws, wss)
 * @param clientAuth whether clients must present a certificate (tls, wss; NONE otherwise)
 * @param admission how many connections, and how fast, the listener takes
 */
public record MqttListenerSettings(
    String name,
    Type type,
    String host,
    int port,
    boolean proxyProtocol,
    String path,
    boolean forwardedFor,
    ClientAuth clientAuth,
    ConnectionLimits admission) {

  /** What a listener speaks. */
  public enum Type {
    TCP(false, false),
    TLS(true, false),
    WS(false, true),
    WSS(true, true);

    private final boolean tls;
    private final boolean webSocket;

    Type(boolean tls, boolean webSocket) {
      this.tls = tls;
      this.webSocket = webSocket;
    }

    public boolean tls() {
      return tls;
    }

    public boolean webSocket() {
      return webSocket;
    }

    /** As in the config and in URLs: tcp, tls, ws, wss. */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether a TLS listener asks clients for a certificate. */
  public enum ClientAuth {
    NONE,
    OPTIONAL,
    REQUIRED
  }

  /** A plain TCP listener named "tcp", as in the defaults. */
  public static MqttListenerSettings tcp(String host, int port) {
    return new MqttListenerSettings(
        "tcp", Type.TCP, host, port, false, null, false, ClientAuth.NONE, ConnectionLimits.NONE);
  }

  /**
   * A URL a client could use, with {@code port} (the bound one) in place of the setting: tcp://,
   * ssl://, ws://, wss:// as Paho, HiveMQ's and MQTT.js's clients take them.
   */
  public String url(String host, int port) {
    String scheme = switch (type) {
      case TCP -> "tcp";
      case TLS -> "ssl";
      case WS -> "ws";
      case WSS -> "wss";
    };
    String h = host.contains(":") ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + port + (type.webSocket() ? path : "");
  }
}
