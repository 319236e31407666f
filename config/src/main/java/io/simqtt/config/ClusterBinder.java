package io.simqtt.config;

import io.simqtt.config.ClusterSettings.PeerAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads the cluster section and checks what only makes sense across peers. */
final class ClusterBinder {

  /** Short secrets can be guessed offline from a captured handshake. */
  static final int MIN_SECRET_LENGTH = 16;

  private ClusterBinder() {}

  /**
   * @param connectTimeout {@code mqtt.limits.connect-timeout}, which bounds a CONNECT's wait for
   *     its claim too
   */
  static ClusterSettings bind(ConfigReader r, String nodeId, Duration connectTimeout) {
    String name = r.nonEmpty("cluster.name");
    String secret = r.string("cluster.secret");
    ListenerSettings listen = SettingsBinder.listener(r, "cluster.listen");
    List<PeerAddress> peers = peers(r, nodeId);
    if (!peers.isEmpty()) {
      if (secret.length() < MIN_SECRET_LENGTH) {
        throw r.hidden("cluster.secret", (secret.isEmpty() ? "is empty" : "is too short")
            + " but cluster.peers is not: set at least " + MIN_SECRET_LENGTH
            + " characters, the same on every node (e.g. SIMQTT_CLUSTER_SECRET)");
      }
    }
    ClusterSettings.Timing timing = timing(r);
    if (!peers.isEmpty() && timing.claimTimeout().compareTo(connectTimeout) >= 0) {
      // The connection would give the claim up first: an unanswered claim would never end in
      // its own refusal, and the setting would do nothing.
      throw r.conflict("cluster.claim-timeout", "is not below mqtt.limits.connect-timeout ("
          + connectTimeout.toMillis() + " ms), which bounds a CONNECT's wait for its claim:"
          + " lower it or raise mqtt.limits.connect-timeout");
    }
    int backlog = r.bytesIn("cluster.max-link-backlog", 1 << 20, 1 << 30);
    return new ClusterSettings(name, secret, listen, peers, timing, backlog, tls(r));
  }

  private static ClusterSettings.PeerTls tls(ConfigReader r) {
    if (!r.bool("cluster.tls.enabled")) {
      return null;
    }
    Path cert = r.readableFileOrNone("cluster.tls.cert-file");
    Path key = r.readableFileOrNone("cluster.tls.key-file");
    Path ca = r.readableFileOrNone("cluster.tls.ca-file");
    for (var missing : new Object[][] {{cert, "cert-file"}, {key, "key-file"}, {ca, "ca-file"}}) {
      if (missing[0] == null) {
        throw r.conflict("cluster.tls." + missing[1], "is not set but cluster.tls.enabled = true:"
            + " set cert-file, key-file and ca-file (bin/cluster-certs.sh makes them)");
      }
    }
    return new ClusterSettings.PeerTls(cert, key, ca);
  }

  private static ClusterSettings.Timing timing(ConfigReader r) {
    Duration min = Duration.ofMillis(100);
    Duration hour = Duration.ofHours(1);
    Duration day = Duration.ofDays(1);
    Duration redirectTime = r.durationIn("cluster.redirect-time", Duration.ZERO, hour);
    Duration lateRedirectTime = r.durationIn("cluster.late-redirect-time", Duration.ZERO, day);
    if (lateRedirectTime.compareTo(redirectTime) < 0) {
      // A restarted node would then redirect for less than a running one does.
      throw r.conflict("cluster.late-redirect-time", "is below cluster.redirect-time ("
          + redirectTime.toMillis() + " ms): raise it, or lower the redirect time");
    }
    return new ClusterSettings.Timing(
        r.durationIn("cluster.keep-alive-interval", min, Duration.ofMinutes(10)),
        r.durationIn("cluster.keep-alive-timeout", min, Duration.ofMinutes(10)),
        r.durationIn("cluster.claim-timeout", min, Duration.ofMinutes(1)),
        r.durationIn("cluster.hand-over-timeout", min, Duration.ofMinutes(10)),
        redirectTime,
        lateRedirectTime,
        r.durationIn("cluster.dead-after", Duration.ZERO, day));
  }

  private static List<PeerAddress> peers(ConfigReader r, String nodeId) {
    List<PeerAddress> peers = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (ConfigReader peer : r.objects("cluster.peers")) {
      String id = peer.matching("id", SettingsBinder.ID_PATTERN, SettingsBinder.ID_RULE);
      if (id.equals(nodeId)) {
        throw peer.conflict("id", "is this node's own node.id: list only the other members");
      }
      if (!ids.add(id)) {
        throw peer.conflict("id", "appears twice in cluster.peers: peer ids must be unique");
      }
      peers.add(new PeerAddress(id, peer.nonEmpty("host"), peer.intIn("port", 1, 65535)));
    }
    return peers;
  }
}
