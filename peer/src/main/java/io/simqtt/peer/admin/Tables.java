package io.simqtt.peer.admin;

import io.simqtt.proto.admin.Client;
import io.simqtt.proto.admin.ClusterStatus;
import io.simqtt.proto.admin.GetClientResponse;
import io.simqtt.proto.admin.KickClientResponse;
import io.simqtt.proto.admin.LinkStatus;
import io.simqtt.proto.admin.ListenerStatus;
import io.simqtt.proto.admin.ListClientsResponse;
import io.simqtt.proto.admin.ListRetainedResponse;
import io.simqtt.proto.admin.ListSubscriptionsResponse;
import io.simqtt.proto.admin.MetricsResponse;
import io.simqtt.proto.admin.NodeMetrics;
import io.simqtt.proto.admin.NodeReload;
import io.simqtt.proto.admin.NodeStatus;
import io.simqtt.proto.admin.ReloadResponse;
import io.simqtt.proto.admin.RetainedMessage;
import io.simqtt.proto.admin.StorageStatus;
import io.simqtt.proto.admin.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The CLI's human-readable output: aligned columns, one row per item, notes below. */
final class Tables {
  private Tables() {}

  static String status(ClusterStatus s) {
    Table t = new Table("NODE", "VERSION", "UPTIME_S", "MQTT", "CONNS", "SESSIONS", "SUBS",
        "RETAINED", "LINKS");
    Table listeners = new Table("NODE", "LISTENER", "TYPE", "URL", "CONNS", "OPENED",
        "TLS_FAILURES");
    Table storage = new Table("NODE", "STORAGE", "DATA_DIR", "DISK_BYTES", "SYNC",
        "PENDING_WRITES");
    for (NodeStatus n : s.getNodesList()) {
      StorageStatus st = n.getStorage();
      storage.row(n.getNodeId(), st.getMode().isEmpty() ? "-" : st.getMode(),
          dash(st.getDataDir()), st.getDiskBytes(), dash(st.getSync()), st.getPendingWrites());
      List<String> links = new ArrayList<>();
      for (LinkStatus l : n.getLinksList()) {
        links.add(l.getPeerId() + ":" + l.getState() + "(routes " + l.getRemoteRoutes()
            + ", unacked " + l.getForwardsUnacked() + (l.getMutualTls() ? ", mTLS" : "") + ")");
      }
      t.row(n.getNodeId(), n.getVersion(), n.getUptimeSeconds(), n.getMqttAddress(),
          n.getConnections(), n.getSessions(), n.getSubscriptions(), n.getRetainedMessages(),
          links.isEmpty() ? "-" : String.join(" ", links));
      for (ListenerStatus l : n.getListenersList()) {
        List<String> failures = new ArrayList<>();
        new java.util.TreeMap<>(l.getTlsHandshakeFailuresMap())
            .forEach((reason, count) -> failures.add(reason + "=" + count));
        listeners.row(n.getNodeId(), l.getName(), l.getType(), l.getUrl(), l.getConnections(),
            l.getConnectionsOpened(), failures.isEmpty() ? "-" : String.join(" ", failures));
      }
    }
    return t + "\n" + listeners + "\n" + storage + missing(s.getMissingNodesList());
  }

  static String clients(ListClientsResponse r) {
    Table t = new Table("CLIENT_ID", "NODE", "CONNECTED", "ADDRESS", "VERSION", "SUBS", "QUEUED",
        "INFLIGHT");
    for (Client c : r.getClientsList()) {
      t.row(c.getClientId(), c.getNodeId(), c.getConnected(), dash(c.getRemoteAddress()),
          dash(c.getProtocolVersion()), c.getSubscriptionsCount(), c.getQueued(),
          c.getInflight());
    }
    String next = r.getNextPageToken().isEmpty() ? ""
        : "next page: --page-token " + r.getNextPageToken() + "\n";
    return t + next + missing(r.getMissingNodesList());
  }

  static String client(GetClientResponse r) {
    Client c = r.getClient();
    Table t = new Table("FIELD", "VALUE");
    t.row("client id", c.getClientId());
    t.row("node", c.getNodeId());
    t.row("connected", c.getConnected());
    t.row("address", dash(c.getRemoteAddress()));
    t.row("protocol", dash(c.getProtocolVersion()));
    t.row("keep alive", c.getKeepAlive() + " s");
    t.row("session expiry", c.getSessionExpiryInterval() + " s");
    t.row("queued", c.getQueued());
    t.row("in flight", c.getInflight());
    Table subs = subscriptionTable(c.getSubscriptionsList());
    return t + "\n" + subs + missing(r.getMissingNodesList());
  }

  static String kick(KickClientResponse k) {
    return "kicked on " + k.getNodeId() + (k.getWasConnected() ? "" : " (it was not connected)")
        + (k.getSessionDiscarded() ? "; session discarded" : "") + "\n"
        + missing(k.getMissingNodesList());
  }

  static String subscriptions(ListSubscriptionsResponse r) {
    return subscriptionTable(r.getSubscriptionsList()).toString()
        + (r.getTruncated() ? "(more matched: raise --limit)\n" : "")
        + missing(r.getMissingNodesList());
  }

  private static Table subscriptionTable(List<Subscription> subs) {
    Table t = new Table("CLIENT_ID", "NODE", "FILTER", "QOS", "NO_LOCAL", "RAP", "RH", "SUB_ID");
    for (Subscription s : subs) {
      t.row(s.getClientId(), s.getNodeId(), s.getFilter(), s.getQos(), s.getNoLocal(),
          s.getRetainAsPublished(), s.getRetainHandling(), s.getSubscriptionId());
    }
    return t;
  }

  static String retained(ListRetainedResponse r) {
    Table t = new Table("TOPIC", "QOS", "BYTES", "PAYLOAD");
    for (RetainedMessage m : r.getMessagesList()) {
      t.row(m.getTopic(), m.getQos(), m.getPayload().size(), preview(m));
    }
    return t + (r.getNextPageToken().isEmpty() ? ""
        : "next page: --page-token " + r.getNextPageToken() + "\n");
  }

  static String retainedOne(RetainedMessage m) {
    return retained(ListRetainedResponse.newBuilder().addMessages(m).build());
  }

  static String metrics(MetricsResponse r) {
    Table t = new Table("NODE", "CONNS", "SESSIONS", "SUBS", "RETAINED", "MSGS_IN", "MSGS_OUT",
        "BYTES_IN", "BYTES_OUT", "QUEUED", "DROPS");
    List<NodeMetrics> rows = new ArrayList<>(r.getNodesList());
    if (r.getNodesCount() > 1) {
      rows.add(r.getTotal());
    }
    for (NodeMetrics n : rows) {
      t.row(n.getNodeId(), n.getConnections(), n.getSessions(), n.getSubscriptions(),
          n.getRetainedMessages(), sum(n.getMessagesReceivedList()),
          sum(n.getMessagesSentList()), n.getBytesReceived(), n.getBytesSent(), n.getQueued(),
          n.getDropsMap().values().stream().mapToLong(Long::longValue).sum());
    }
    return t + missing(r.getMissingNodesList());
  }

  private static long sum(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).sum();
  }

  private static String preview(RetainedMessage m) {
    String s = new String(m.getPayload().toByteArray(), StandardCharsets.UTF_8)
        .replaceAll("\\p{Cntrl}", ".");
    return s.length() > 40 ? s.substring(0, 37) + "..." : s;
  }

  static String reload(ReloadResponse r) {
    Table t = new Table("NODE", "RELOADED", "CLIENTS", "DETAILS");
    for (NodeReload n : r.getNodesList()) {
      t.row(n.getNodeId(), n.getReloaded() ? "yes" : "NO (previous rules stay)",
          n.getClientsUpdated(), n.getMessage());
      for (String problem : n.getTlsProblemsList()) {
        t.row(n.getNodeId(), "TLS: NO (previous certificate stays)", "", problem);
      }
    }
    return t + missing(r.getMissingNodesList());
  }

  private static String dash(String s) {
    return s.isEmpty() ? "-" : s;
  }

  private static String missing(List<String> nodes) {
    return nodes.isEmpty() ? "" : "WARNING: no answer from " + String.join(", ", nodes)
        + " (results are partial)\n";
  }

  /** Left-aligned columns sized to their widest cell. */
  private static final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
      rows.add(header);
    }

    void row(Object... cells) {
      String[] r = new String[cells.length];
      for (int i = 0; i < cells.length; i++) {
        r[i] = String.valueOf(cells[i]);
      }
      rows.add(r);
    }

    @Override
    public String toString() {
      int[] width = new int[rows.get(0).length];
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      StringBuilder b = new StringBuilder();
      for (String[] r : rows) {
        for (int i = 0; i < r.length; i++) {
          b.append(i == r.length - 1 ? r[i] : String.format("%-" + width[i] + "s  ", r[i]));
        }
        b.append('\n');
      }
      return b.toString();
    }
  }
}
