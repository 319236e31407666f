package io.simqtt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The static peer cluster; an empty peer list means a single node.
 *
 * @param name cluster name, checked in every peer Hello
 * @param secret shared secret peers prove in their Hello ("" only allowed without peers)
 * @param listen where this node accepts peer links
 * @param peers the other members
 * @param timing how fast peers are judged and how long a moving session waits
 * @param maxLinkBacklog bytes of messages one peer link may hold (waiting to be sent, or sent
 *     and not yet acknowledged) before QoS 1/2 publishers feeding it are slowed and QoS 0 is
 *     dropped
 * @param tls mutual TLS on peer links, or null for plain TCP
 */
public record ClusterSettings(
    String name,
    String secret,
    ListenerSettings listen,
    List<PeerAddress> peers,
    Timing timing,
    int maxLinkBacklog,
    PeerTls tls) {

  public ClusterSettings {
    peers = List.copyOf(peers);
  }

  /** Without TLS on the links, for settings built in code. */
  public ClusterSettings(String name, String secret, ListenerSettings listen,
      List<PeerAddress> peers, Timing timing, int maxLinkBacklog) {
    this(name, secret, listen, peers, timing, maxLinkBacklog, null);
  }

  /**
   * Mutual TLS between nodes: every node presents its certificate and accepts only peers whose
   * certificate chains to the cluster CA.
   *
   * @param certFile this node's PEM certificate chain
   * @param keyFile its PEM (PKCS#8) private key
   * @param caFile the cluster CA's PEM certificate
   */
  public record PeerTls(Path certFile, Path keyFile, Path caFile) {}

  /**
   * Time limits of the peer protocol.
   *
   * @param keepAliveInterval a link silent this long is probed with an HTTP/2 PING
   * @param keepAliveTimeout a probe unanswered this long closes the link: the peer is down
   * @param claimTimeout how long a connecting client waits for every linked peer to answer its
   *     claim; past it, with no holder found, the CONNECT is refused with 0x88
   * @param handOverTimeout how long a node that sent a session away waits for the new owner to
   *     confirm it installed it; past it (or when the link drops) the session stays here
   * @param redirectTime how long a node keeps redirecting messages that reach a session that has
   *     moved away (forwards that raced the route update) to its new owner
   * @param lateRedirectTime how long after a move a node (running, or restarted on its store)
   *     at most still redirects what peers send it again for the session while a peer is away,
   *     and so how long (plus twice {@code redirectTime}) the new owner keeps its window for
   *     second copies open while a peer is away (at least {@code redirectTime})
   * @param deadAfter how long a peer's link may be down before the peer is declared dead.
   *     Until then it may be alive (frozen, partitioned) and hold sessions: a CONNECT with Clean
   *     Start 0 whose session no reachable node holds is refused (0x88) rather than given a
   *     fresh one, and its ordinary routes stay so QoS 1/2 forwards wait for it. After it, its
   *     routes are withdrawn and connecting clients no longer wait for it
   */
  public record Timing(
      Duration keepAliveInterval,
      Duration keepAliveTimeout,
      Duration claimTimeout,
      Duration handOverTimeout,
      Duration redirectTime,
      Duration lateRedirectTime,
      Duration deadAfter) {
    public static final Timing DEFAULTS =
        new Timing(
            Duration.ofSeconds(2),
            Duration.ofSeconds(3),
            Duration.ofSeconds(3),
            Duration.ofSeconds(10),
            Duration.ofSeconds(10),
            Duration.ofMinutes(5),
            Duration.ofSeconds(30));
  }

  /** One other member of the cluster. */
  public record PeerAddress(String id, String host, int port) {}

  public boolean isSingleNode() {
    return peers.isEmpty();
  }
}
