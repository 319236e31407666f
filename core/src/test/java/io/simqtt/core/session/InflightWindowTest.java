package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InflightWindowTest {
  private static final Delivery D =
      new Delivery(
          new Message("t", new byte[] {1}, 1, false, MqttProperties.NONE, 0, "p"),
          1, false, new int[0]);

  @Test
  void keepsSendOrderAcrossOutOfOrderAcknowledgementsAndReusedIds() {
    InflightWindow w = new InflightWindow();
    for (int id = 1; id <= 6; id++) {
      w.add(entry(id));
    }
    w.remove(3);
    w.remove(1);
    w.add(entry(1)); // an id freed and given out again goes last, not to its old place
    w.replace(entry(4).release());
    assertEquals(List.of(2, 4, 5, 6, 1), ids(w));
    assertTrue(w.get(4).released());
    assertNull(w.get(3));
    assertFalse(w.contains(3));
    assertEquals(5, w.size());
  }

  @Test
  void aWindowWhoseOldestIsNeverAcknowledgedDoesNotGrowPastTwiceWhatItHolds() {
    InflightWindow w = new InflightWindow();
    w.add(entry(1)); // held throughout
    for (int id = 2; id < 100_000; id++) {
      int packetId = (id % 65_534) + 2;
      w.add(entry(packetId));
      assertEquals(packetId, w.get(packetId).packetId());
      w.remove(packetId);
    }
    assertEquals(List.of(1), ids(w));
    assertEquals(4, w.capacity(), "the ring for one entry");
  }

  @Test
  void replacingAnIdNotInFlightIsAnError() {
    InflightWindow w = new InflightWindow();
    w.add(entry(1));
    assertThrows(IllegalStateException.class, () -> w.replace(entry(2)));
  }

  /** Random adds, acknowledgements and releases against a LinkedHashMap as the model. */
  @Test
  void behavesLikeAnInsertionOrderedMapUnderRandomTraffic() {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      InflightWindow w = new InflightWindow();
      Map<Integer, InflightMessage> model = new LinkedHashMap<>();
      int maxSize = 1 + random.nextInt(seed % 4 == 0 ? 65_535 : 300);
      int next = 0;
      for (int step = 0; step < 20_000; step++) {
        int op = random.nextInt(10);
        if (op < 5 && model.size() < maxSize) {
          do {
            next = next == 65_535 ? 1 : next + 1;
          } while (model.containsKey(next));
          w.add(entry(next));
          model.put(next, entry(next));
        } else if (op < 9 && !model.isEmpty()) {
          // mostly the oldest, as clients do; sometimes any
          int id = random.nextInt(4) == 0 ? any(model, random) : model.keySet().iterator().next();
          assertEquals(model.remove(id).packetId(), w.remove(id).packetId());
          assertNull(w.remove(id));
        } else if (!model.isEmpty()) {
          int id = any(model, random);
          w.replace(model.get(id).release());
          model.put(id, model.get(id).release());
        }
        assertEquals(model.size(), w.size(), "seed " + seed);
        if (step % 500 == 0) {
          assertEquals(new ArrayList<>(model.keySet()), ids(w), "seed " + seed + " step " + step);
        }
      }
      assertEquals(new ArrayList<>(model.keySet()), ids(w), "seed " + seed);
      for (InflightMessage f : model.values()) {
        assertEquals(f.released(), w.get(f.packetId()).released());
      }
      assertNull(w.get(0));
    }
  }

  private static int any(Map<Integer, InflightMessage> model, Random random) {
    int skip = random.nextInt(model.size());
    for (int id : model.keySet()) {
      if (skip-- == 0) {
        return id;
      }
    }
    throw new AssertionError();
  }

  private static InflightMessage entry(int id) {
    return new InflightMessage(id, D, false, 0);
  }

  private static List<Integer> ids(InflightWindow w) {
    return w.inOrder().stream().map(InflightMessage::packetId).toList();
  }
}
