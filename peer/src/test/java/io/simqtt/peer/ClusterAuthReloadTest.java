package io.simqtt.peer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.simqtt.core.auth.PasswordHash;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.it.RawClient;
import io.simqtt.proto.admin.AdminServiceGrpc;
import io.simqtt.proto.admin.NodeReload;
import io.simqtt.proto.admin.ReloadRequest;
import io.simqtt.proto.admin.ReloadResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One admin call reloads the password and ACL files on every node of a three-node cluster (real
 * gRPC between real nodes), reports per node, and a connected client on another node than the
 * one called follows the new rules; a broken file is reported by each node with file and line
 * and leaves its rules in force.
 */
class ClusterAuthReloadTest {
  @TempDir Path dir;

  private static String user(String name, String password) {
    return name + ":" + PasswordHash.create(password.getBytes(UTF_8), 10).format() + "\n";
  }

  private static ReloadResponse reload(ClusterFixture f, int node) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", f.adminPort(node))
        .usePlaintext().build();
    try {
      Metadata h = new Metadata();
      h.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + ClusterFixture.ADMIN_TOKEN);
      return AdminServiceGrpc.newBlockingStub(ch)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .reload(ReloadRequest.getDefaultInstance());
    } finally {
      ch.shutdownNow();
    }
  }

  private static Map<String, NodeReload> byNode(ReloadResponse r) {
    return r.getNodesList().stream().collect(Collectors.toMap(NodeReload::getNodeId, n -> n));
  }

  private static int connect(RawClient c, String id, String user, String password) {
    Connect p = RawClient.connectPacket(MqttVersion.MQTT_5, id, true, 60, null);
    return c.connect(new Connect(MqttVersion.MQTT_5, true, 60, id, null, user,
        password.getBytes(UTF_8), p.properties())).reasonCode();
  }

  private static int ackOf(RawClient c, String topic) {
    c.publish(topic, 1, false, "x".getBytes(UTF_8));
    return c.expect(PubResponse.class).reasonCode();
  }

  @Test
  void aReloadCalledOnOneNodeReloadsEveryNode() throws Exception {
    Path passwords = Files.writeString(dir.resolve("passwd"), user("alice", "pw1"));
    Path acl = Files.writeString(dir.resolve("acl"), "user alice\ntopic a/#\n");
    try (ClusterFixture f = ClusterFixture.startWithAdmin(3,
            "mqtt.features.allow-anonymous = false\nmqtt.sys.interval = 0\n"
                + "metrics.enabled = false\n"
                + "mqtt.auth { password-file = \"" + passwords + "\", acl-file = \"" + acl
                + "\", failure-delay = 0, reload-on-change = false }\n");
        RawClient alice = RawClient.open("127.0.0.1", f.mqttPort(2), MqttVersion.MQTT_5)) {
      assertEquals(ReasonCode.SUCCESS, connect(alice, "alice-1", "alice", "pw1"));
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "a/1"));

      Files.writeString(passwords, user("alice", "pw2"));
      Files.writeString(acl, "user alice\ntopic b/#\n");
      ReloadResponse r = reload(f, 0);
      assertEquals(List.of(), r.getMissingNodesList());
      Map<String, NodeReload> nodes = byNode(r);
      assertEquals(List.of("n1", "n2", "n3"), nodes.keySet().stream().sorted().toList());
      for (NodeReload n : nodes.values()) {
        assertTrue(n.getReloaded(), n.toString());
        assertEquals("1 users from " + passwords + ", 1 rules from " + acl, n.getMessage());
      }
      assertEquals(1, nodes.get("n3").getClientsUpdated(), "alice's session is on n3");
      assertEquals(0, nodes.get("n1").getClientsUpdated());

      assertEquals(ReasonCode.NOT_AUTHORIZED, ackOf(alice, "a/1"), "n3 follows the new ACL");
      try (RawClient old = RawClient.open("127.0.0.1", f.mqttPort(1), MqttVersion.MQTT_5);
          RawClient fresh = RawClient.open("127.0.0.1", f.mqttPort(1), MqttVersion.MQTT_5)) {
        assertEquals(ReasonCode.BAD_USER_NAME_OR_PASSWORD, connect(old, "alice-2", "alice", "pw1"),
            "n2 follows the new password file");
        assertEquals(ReasonCode.SUCCESS, connect(fresh, "alice-3", "alice", "pw2"));
      }

      Files.writeString(acl, "user alice\ntopic read a/+/#/x\n");
      ReloadResponse broken = reload(f, 1);
      assertEquals(3, broken.getNodesCount());
      for (NodeReload n : broken.getNodesList()) {
        assertFalse(n.getReloaded(), n.toString());
        assertEquals(acl + " line 2: not a valid topic filter: a/+/#/x", n.getMessage());
      }
      assertEquals(ReasonCode.NO_MATCHING_SUBSCRIBERS, ackOf(alice, "b/1"), "rules stay");
    }
  }
}
