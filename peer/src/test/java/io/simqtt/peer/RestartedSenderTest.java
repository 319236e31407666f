package io.simqtt.peer;

import static io.simqtt.core.it.Clients.bytes;
import static io.simqtt.core.it.Clients.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.it.Clients;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sending node of a forward is killed after the receiver acknowledged it and before its
 * journal's delete of it was durable: the node restarts as a new incarnation and sends it again
 * from its journal. The forward keeps the incarnation that numbered it, and the receiver keeps
 * what it took of that incarnation while the sender re-sends from it, so a QoS 2 message reaches
 * its subscriber once. In-process links on manual time; n1's journal is a {@link
 * HeapForwardJournal} kept across its restarts, whose releases after the acknowledgement are lost
 * to the kill.
 */
@Timeout(60)
class RestartedSenderTest {
  private static final int A = 0;
  private static final int B = 1;
  private static final String TOPIC = "rs/t";

  private final HeapForwardJournal journal = new HeapForwardJournal();
  private ClusterFixture cluster;
  private Mqtt5BlockingClient sub;
  private BlockingQueue<Mqtt5Publish> inbox;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aForwardTheReceiverTookIsNotDeliveredAgainWhenTheRestartedSenderSendsItFromItsJournal()
      throws InterruptedException {
    startWithBeforeAcknowledged();
    assertEquals(1, journal.count("n2"), "the kill came before the delete was durable");

    List<String> got = killRestartAndPublishAfter(
        "n2 acknowledged the forward n1 sent again from its journal");

    assertEquals(List.of("after"), got, "the message n2 had taken is not delivered again");
    assertEquals(1, cluster.cluster(B).linkStats().get(0).duplicatesDropped());
    assertEquals(0, cluster.cluster(B).linkStats().get(0).untrackedIncarnations());
    Clients.disconnectQuietly(sub);
  }

  /**
   * The restarted sender has the forward it re-sent acknowledged, and its link to the receiver
   * starts over before the journal's delete of it is durable: that stream's Hello still names the
   * incarnation that numbered it, so the receiver keeps what it took of it, and a second kill,
   * which brings the forward back from the journal once more, does not deliver it again.
   */
  @Test
  void aSecondKillBeforeTheDeleteOfAReSentForwardIsDurableDoesNotDeliverItAgain()
      throws InterruptedException {
    startWithBeforeAcknowledged();

    kill(A);
    cluster.restart(A);
    cluster.awaitHealed(ClusterFixture.WAIT);
    awaitAcknowledged("n2 acknowledged the forward n1 sent again from its journal");
    cluster.network().cut(ClusterFixture.nodeId(A), ClusterFixture.nodeId(B));
    cluster.advanceUntil(() -> !"UP".equals(cluster.cluster(A).linkStats().get(0).state()),
        ClusterFixture.STEP, "n1's link to n2 down");
    cluster.network().heal(ClusterFixture.nodeId(A), ClusterFixture.nodeId(B));
    cluster.awaitHealed(ClusterFixture.WAIT);
    assertEquals(1, journal.count("n2"), "the second kill comes before the delete is durable");

    List<String> got = killRestartAndPublishAfter(
        "n2 acknowledged the forward n1 sent again from its journal a second time");

    assertEquals(List.of("after"), got, "the message n2 had taken is not delivered again");
    assertEquals(2, cluster.cluster(B).linkStats().get(0).duplicatesDropped());
    assertEquals(0, cluster.cluster(B).linkStats().get(0).untrackedIncarnations());
    Clients.disconnectQuietly(sub);
  }

  /** Acknowledgements go out a few milliseconds of manual time after the delivery. */
  /**
   * n1 (journal held: its deletes not durable) and n2, a QoS 2 subscriber on n2, and "before"
   * published on n1, delivered and acknowledged by n2.
   */
  private void startWithBeforeAcknowledged() throws InterruptedException {
    cluster = ClusterFixture.startInProcess(
        2, "", i -> i == A ? journal : ForwardJournal.MEMORY);
    sub = ClusterClients.connect(cluster, B, "rs-sub");
    inbox = Clients.inbox(sub);
    sub.subscribeWith().topicFilter("rs/#").qos(MqttQos.EXACTLY_ONCE).send();
    cluster.awaitRoute(A, TOPIC, B);
    journal.holdReleases();
    publish("before");
    assertEquals("before", text(Clients.take(inbox)));
    awaitAcknowledged("n2 acknowledged the forward");
  }

  /**
   * Kills n1 with what its journal made durable, restarts it and waits until n2 acknowledged
   * what it re-sent ({@code resent} says what that is), then publishes "after": what the
   * subscriber got up to it.
   */
  private List<String> killRestartAndPublishAfter(String resent) throws InterruptedException {
    kill(A);
    journal.sync();
    cluster.restart(A);
    cluster.awaitHealed(ClusterFixture.WAIT);
    cluster.advanceUntil(() -> journal.count("n2") == 0, ClusterFixture.STEP, resent);
    publish("after");
    List<String> got = new ArrayList<>();
    do {
      got.add(text(Clients.take(inbox)));
    } while (!got.get(got.size() - 1).equals("after"));
    return got;
  }

  private void awaitAcknowledged(String what) {
    cluster.advanceUntil(() -> cluster.cluster(A).linkStats().get(0).unacked() == 0,
        ClusterFixture.STEP, what);
  }

  /** Stops node {@code i} and loses what its journal had not made durable, as a kill -9 does. */
  private void kill(int i) {
    cluster.stop(i);
    journal.kill();
  }

  /** A QoS 2 message published on n1 by a client of its own, acknowledged (PUBCOMP). */
  private void publish(String payload) {
    Mqtt5BlockingClient pub = ClusterClients.connect(cluster, A, "rs-pub");
    pub.publishWith().topic(TOPIC).qos(MqttQos.EXACTLY_ONCE).payload(bytes(payload)).send();
    Clients.disconnectQuietly(pub);
  }
}
