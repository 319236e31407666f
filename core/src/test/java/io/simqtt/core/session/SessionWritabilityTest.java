package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.simqtt.config.SettingsLoader;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.topic.SubscriptionTree;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * QoS 1/2 publishes go to the socket only while it is writable: new ones wait in the session
 * queue, resends after a resume wait in their place, and {@link Session#onWritable} sends them.
 * Driven through a fake connection whose writability the test sets.
 */
class SessionWritabilityTest {
  private final DefaultEventLoop loop = new DefaultEventLoop();
  private final BrokerMetrics metrics = new BrokerMetrics();
  private final SessionRegistry registry =
      new SessionRegistry(
          SettingsLoader.fromString("mqtt.sessions.max-queued-messages = 5").mqtt().sessions(),
          new SubscriptionTree(),
          metrics,
          (m, r) -> {},
          (d, id, hops, r) -> {},
          Cluster.SINGLE_NODE,
          0,
          0,
          new PermissionRetries(
              who -> Permissions.ALL, 1, Duration.ofSeconds(10), Duration.ofSeconds(10)),
          SessionStore.MEMORY);

  @AfterEach
  void stop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }

  private static Delivery delivery(int i) {
    Message m =
        new Message("t", new byte[] {(byte) i}, 1, false, MqttProperties.NONE, 0, "publisher");
    return new Delivery(m, 1, false, new int[0]);
  }

  private Session connect(FakeConnection c, boolean cleanStart) throws Exception {
    return onLoop(() -> {
      Session s = registry.claim("c", loop, false);
      s.attach(c, cleanStart, SessionExpiry.NEVER, null, null, 0);
      s.resumeDelivery();
      return s;
    });
  }

  @Test
  void newPublishesWaitInTheQueueWhileNotWritable() throws Exception {
    FakeConnection c = new FakeConnection(loop);
    Session s = connect(c, true);
    onLoop(() -> {
      s.deliver(delivery(1));
      c.writable = false;
      for (int i = 2; i <= 9; i++) {
        s.deliver(delivery(i));
      }
      return null;
    });
    assertEquals(List.of(1), onLoop(c::publishedIds));
    assertEquals(1, onLoop(s::inflightCount));
    assertEquals(5, onLoop(s::queuedCount), "the queue's bound");
    assertEquals(3, metrics.drops(DropReason.QUEUE_FULL));

    // Room for two more publishes: the drain stops where the socket fills again.
    onLoop(() -> {
      c.writable = true;
      c.room = 2;
      c.sent.clear();
      s.onWritable(new FakeConnection(loop)); // not this session's connection: nothing happens
      assertTrue(c.sent.isEmpty());
      s.onWritable(c);
      return null;
    });
    assertEquals(List.of(2, 3), onLoop(c::publishedIds));
    assertEquals(3, onLoop(s::queuedCount));
    onLoop(() -> {
      c.writable = true;
      c.room = Integer.MAX_VALUE;
      s.onWritable(c);
      return null;
    });
    assertEquals(List.of(2, 3, 4, 5, 6), onLoop(c::publishedIds));
    assertEquals(0, onLoop(s::queuedCount));
  }

  @Test
  void resendsAfterAResumeWaitForTheSocketToo() throws Exception {
    FakeConnection first = new FakeConnection(loop);
    Session s = connect(first, true);
    onLoop(() -> {
      for (int i = 1; i <= 4; i++) {
        s.deliver(delivery(i));
      }
      s.detach(first, true);
      return null;
    });
    assertEquals(4, onLoop(s::inflightCount));

    FakeConnection second = new FakeConnection(loop);
    second.writable = false;
    connect(second, false);
    assertTrue(onLoop(second::publishedIds).isEmpty(), "nothing resent to a full socket");
    onLoop(() -> {
      s.deliver(delivery(5));
      return null;
    });
    assertTrue(onLoop(second::publishedIds).isEmpty(), "a new message does not overtake");
    assertEquals(1, onLoop(s::queuedCount));

    onLoop(() -> {
      second.writable = true;
      s.onWritable(second);
      return null;
    });
    assertEquals(List.of(1, 2, 3, 4, 5), onLoop(second::publishedIds));
    List<Boolean> dup =
        onLoop(() -> second.sent.stream().map(p -> ((Publish) p).dup()).toList());
    assertEquals(List.of(true, true, true, true, false), dup);
    assertFalse(onLoop(() -> s.queuedCount() > 0));
  }
}
