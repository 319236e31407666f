package io.simqtt.peer.admin;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.Broker;
import io.simqtt.peer.metrics.MetricsServer;
import io.simqtt.proto.admin.AdminServiceGrpc;
import io.simqtt.proto.admin.AdminServiceGrpc.AdminServiceBlockingStub;

/** One node with its admin API and metrics endpoint on 127.0.0.1 and OS-chosen ports. */
final class AdminTestNode implements AutoCloseable {
  static final String TOKEN = "test-token-0123";
  static final String READ_ONLY_TOKEN = "test-read-only-4567";

  final Broker broker;
  final AdminServer admin;
  final MetricsServer metrics;
  private final ManagedChannel channel;

  AdminTestNode(String extraHocon) throws Exception {
    broker = new Broker(SettingsLoader.fromString(
        "mqtt.listeners.tcp { host = \"127.0.0.1\", port = 0 }\n"
            + "admin { port = 0, token = \"" + TOKEN + "\", read-only-token = \""
            + READ_ONLY_TOKEN + "\" }\n"
            + "metrics.port = 0\nmqtt.sys.interval = 0\n" + extraHocon));
    admin = AdminServer.create(broker, null, "test");
    metrics = new MetricsServer(broker, null, 0);
    broker.start();
    admin.start();
    metrics.start(broker.settings().metrics().listen());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", admin.address().getPort())
        .usePlaintext().build();
  }

  ManagedChannel channel() {
    return channel;
  }

  AdminServiceBlockingStub stub() {
    return stub(TOKEN);
  }

  /** A stub sending {@code token} (null: no authorization header at all). */
  AdminServiceBlockingStub stub(String token) {
    AdminServiceBlockingStub s = AdminServiceGrpc.newBlockingStub(channel);
    if (token == null) {
      return s;
    }
    Metadata h = new Metadata();
    h.put(BearerToken.AUTHORIZATION, "Bearer " + token);
    return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
  }

  Mqtt5BlockingClient client(String id) {
    Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(id).serverHost("127.0.0.1")
        .serverPort(broker.mqttAddress().getPort()).buildBlocking();
    c.connect();
    return c;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    admin.close();
    metrics.close();
    broker.close();
  }
}
