package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link DeliveryQueue}: first in first out across wrap-around and growth, seqs kept in step. */
class DeliveryQueueTest {

  @Test
  void keepsOrderAndSeqsAcrossWrapAroundAndGrowth() {
    DeliveryQueue q = new DeliveryQueue();
    for (int n = 1; n <= 10; n++) {
      q.addLast(delivery(n), 100 + n);
    }
    for (int n = 1; n <= 8; n++) {
      assertEquals(100 + n, q.firstSeq());
      q.removeFirst();
    }
    for (int n = 11; n <= 40; n++) { // wraps, then grows
      q.addLast(delivery(n), 100 + n);
    }
    List<String> seen = new ArrayList<>();
    q.forEach((d, seq) -> seen.add(number(d) + ":" + seq));
    List<String> expected = new ArrayList<>();
    for (int n = 9; n <= 40; n++) {
      expected.add(n + ":" + (100 + n));
    }
    assertEquals(expected, seen);
    assertEquals(32, q.size());
  }

  /**
   * A message's weight is worked out once ({@link Message#queuedBytes}) and kept, by the copy its
   * cluster identity makes too: what the queue adds and what it takes off again are the same, so
   * its byte sum comes back to 0 even if the message's properties object changed meanwhile.
   * Before, each of the queue's steps worked it out again from the topic and properties.
   */
  @Test
  void aMessageWeighsWhatItWeighedWhenQueuedUntilItLeaves() {
    MqttProperties p = MqttProperties.empty();
    Message m = new Message("t", new byte[] {1}, 1, false, p, 0, "pub").identified("n1", 1);
    Delivery d = new Delivery(m, 1, false, new int[0]);
    DeliveryQueue q = new DeliveryQueue();
    q.addLast(d, 1);
    long weighed = q.bytes();
    p.contentType = "text/plain";
    assertEquals(weighed, d.queuedBytes());
    q.removeFirst();
    assertEquals(0, q.bytes());
  }

  @Test
  void removeIfHandsOutWhatItTakesAndKeepsTheRestInOrder() {
    DeliveryQueue q = new DeliveryQueue();
    for (int n = 1; n <= 6; n++) {
      q.addLast(delivery(n), 10 * n);
    }
    List<Long> taken = new ArrayList<>();
    q.removeIf(d -> number(d) % 2 == 0, (d, seq) -> taken.add(seq));
    assertEquals(List.of(20L, 40L, 60L), taken);
    List<String> kept = new ArrayList<>();
    q.forEach((d, seq) -> kept.add(number(d) + ":" + seq));
    assertEquals(List.of("1:10", "3:30", "5:50"), kept);
  }

  @Test
  void withoutSeqsNoneIsKeptUntilRenumbered() {
    DeliveryQueue q = new DeliveryQueue();
    q.addLast(delivery(1), 0);
    q.addLast(delivery(2), 0);
    assertEquals(0, q.firstSeq());
    long[] next = {7};
    q.renumber(() -> next[0]++);
    List<Long> seqs = new ArrayList<>();
    q.forEach((d, seq) -> seqs.add(seq));
    assertEquals(List.of(7L, 8L), seqs);
  }

  private static Delivery delivery(int n) {
    return new Delivery(
        new Message("t", new byte[] {(byte) n}, 1, false, MqttProperties.NONE, 0, "p"),
        1, false, new int[0]);
  }

  private static int number(Delivery d) {
    return d.message().payload()[0];
  }
}
