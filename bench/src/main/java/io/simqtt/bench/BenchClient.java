package io.simqtt.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.simqtt.core.codec.DecodeFailure;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MQTT client connection of the load tool: CONNECT/CONNACK, SUBSCRIBE/SUBACK, the QoS 1 and 2
 * acknowledgement flows in both directions. A connection can publish ({@link #publisher}),
 * receive ({@link #receiver}) or just sit idle (conn-storm), kept alive by a {@link
 * KeepAlivePinger} when its keep alive is not 0. PINGRESP is counted and otherwise ignored.
 */
final class BenchClient extends ChannelInboundHandlerAdapter {
  final String clientId;
  final MqttVersion version;
  final CompletableFuture<BenchClient> connected = new CompletableFuture<>();
  final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final Map<Integer, CompletableFuture<Void>> pendingSubs = new ConcurrentHashMap<>();
  private final AtomicInteger nextSubId = new AtomicInteger(1);

  volatile Channel channel;
  /** The broker's Receive Maximum from CONNACK (65535 when absent or 3.1.1). */
  volatile int serverReceiveMaximum = 65535;
  /** The reason code of a DISCONNECT from the broker, -1 if none. */
  volatile int disconnectReason = -1;
  volatile String error;

  Receiver receiver;
  Publisher publisher;
  /** Pings this connection after its CONNACK when set and the keep alive is not 0. */
  KeepAlivePinger pinger;
  /** The keep alive asked for in CONNECT, seconds. */
  private int keepAliveSeconds;
  // KeepAlivePinger's state for this connection, touched only on its event loop
  KeepAlivePinger.Loop pingLoop;
  long pingIntervalNanos;
  long nextPingNanos;
  private boolean wrote;

  private final String userName;
  private final byte[] password;
  /** Session Expiry Interval asked for (MQTT 5), or Clean Session 0 (3.1.1) when above 0. */
  long sessionExpirySeconds;

  /** {@code userName} and {@code password} go in the CONNECT; null: none. */
  BenchClient(String clientId, MqttVersion version, String userName, String password) {
    this.clientId = clientId;
    this.version = version;
    this.userName = userName;
    this.password = password == null ? null : password.getBytes(StandardCharsets.UTF_8);
  }

  MqttPacket.Connect connectPacket(int keepAliveSeconds) {
    this.keepAliveSeconds = keepAliveSeconds;
    MqttProperties props = MqttProperties.empty();
    if (version.isV5()) {
      props.receiveMaximum = 65535;
      if (sessionExpirySeconds > 0) {
        props.sessionExpiryInterval = sessionExpirySeconds;
      }
    }
    // Client ids are new every run: Clean Start 1 in MQTT 5, where the expiry keeps the session;
    // in 3.1.1 only Clean Session 0 keeps one.
    boolean cleanStart = version.isV5() || sessionExpirySeconds == 0;
    return new MqttPacket.Connect(
        version, cleanStart, keepAliveSeconds, clientId, null, userName, password, props);
  }

  /** Sends one SUBSCRIBE with these filters; completes on a SUBACK granting all of them. */
  CompletableFuture<Void> subscribe(List<String> filters, int qos) {
    int id = nextSubId.getAndUpdate(i -> i == 65535 ? 1 : i + 1);
    CompletableFuture<Void> f = new CompletableFuture<>();
    pendingSubs.put(id, f);
    List<MqttPacket.Subscription> subs =
        filters.stream().map(t -> new MqttPacket.Subscription(t, qos, false, false, 0)).toList();
    channel
        .writeAndFlush(new MqttPacket.Subscribe(id, subs, MqttProperties.empty()))
        .addListener(
            w -> {
              if (!w.isSuccess()) {
                pendingSubs.remove(id);
                f.completeExceptionally(w.cause());
              }
            });
    return f;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof MqttPacket.Publish p) {
      if (receiver != null) {
        receiver.onPayload(p.payload(), System.nanoTime());
      }
      if (p.qos() == 1) {
        ctx.write(ack(PacketType.PUBACK, p.packetId()));
        wrote = true;
      } else if (p.qos() == 2) {
        ctx.write(ack(PacketType.PUBREC, p.packetId()));
        wrote = true;
      }
    } else if (msg instanceof MqttPacket.PubResponse r) {
      switch (r.type()) {
        case PUBACK, PUBCOMP -> {
          if (publisher != null) {
            publisher.onAck(r.packetId(), r.reasonCode());
          }
        }
        case PUBREC -> {
          if (r.reasonCode() >= 0x80) {
            if (publisher != null) {
              publisher.onAck(r.packetId(), r.reasonCode());
            }
          } else {
            ctx.write(ack(PacketType.PUBREL, r.packetId()));
            wrote = true;
          }
        }
        case PUBREL -> {
          ctx.write(ack(PacketType.PUBCOMP, r.packetId()));
          wrote = true;
        }
        default -> {}
      }
    } else if (msg instanceof MqttPacket.ConnAck c) {
      if (c.reasonCode() == 0) {
        if (c.properties().receiveMaximum != null) {
          serverReceiveMaximum = c.properties().receiveMaximum;
        }
        int keepAlive =
            c.properties().serverKeepAlive != null ? c.properties().serverKeepAlive : keepAliveSeconds;
        if (pinger != null && keepAlive > 0) {
          pinger.add(this, keepAlive);
        }
        connected.complete(this);
      } else {
        connected.completeExceptionally(
            new IllegalStateException(clientId + ": CONNACK reason 0x" + Integer.toHexString(c.reasonCode())));
        ctx.close();
      }
    } else if (msg instanceof MqttPacket.SubAck s) {
      CompletableFuture<Void> f = pendingSubs.remove(s.packetId());
      if (f != null) {
        if (s.reasonCodes().stream().allMatch(rc -> rc < 0x80)) {
          f.complete(null);
        } else {
          f.completeExceptionally(
              new IllegalStateException(clientId + ": SUBACK refused " + s.reasonCodes()));
        }
      }
    } else if (msg instanceof MqttPacket.PingResp) {
      if (pingLoop != null) {
        pingLoop.onPingResp();
      }
    } else if (msg instanceof MqttPacket.Disconnect d) {
      disconnectReason = d.reasonCode();
    } else if (msg instanceof DecodeFailure f) {
      error = "decode failure: " + f;
      ctx.close();
    }
  }

  private static MqttPacket.PubResponse ack(PacketType type, int id) {
    return new MqttPacket.PubResponse(type, id, 0, MqttProperties.empty());
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (receiver != null) {
      receiver.publishProgress();
    }
    if (wrote) {
      wrote = false;
      ctx.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (publisher != null && ctx.channel().isWritable()) {
      publisher.wake();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    IllegalStateException gone = new IllegalStateException(clientId + ": connection closed");
    connected.completeExceptionally(gone);
    pendingSubs.values().forEach(f -> f.completeExceptionally(gone));
    closed.complete(null);
    if (publisher != null) {
      publisher.onClosed();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (error == null) {
      error = String.valueOf(cause);
    }
    ctx.close();
  }
}
