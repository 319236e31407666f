package io.simqtt.core.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Compares the tree with brute force {@link Topics#matches} over every subscription. */
class SubscriptionTreeRandomTest {
  private static final String[] WORDS = {"a", "b", "c", "", "$SYS", "dev"};

  static String randomTopic(Random r) {
    StringBuilder sb = new StringBuilder();
    int levels = 1 + r.nextInt(4);
    for (int i = 0; i < levels; i++) {
      if (i > 0) {
        sb.append('/');
      }
      String w = WORDS[r.nextInt(WORDS.length)];
      sb.append(i > 0 && w.startsWith("$") ? "x" : w);
    }
    return sb.isEmpty() ? "a" : sb.toString();
  }

  static String randomFilter(Random r) {
    StringBuilder sb = new StringBuilder();
    int levels = 1 + r.nextInt(4);
    for (int i = 0; i < levels; i++) {
      if (i > 0) {
        sb.append('/');
      }
      int k = r.nextInt(10);
      if (k < 2) {
        sb.append('+');
      } else if (k == 2) {
        sb.append('#');
        break;
      } else {
        sb.append(WORDS[r.nextInt(WORDS.length)]);
      }
    }
    String f = sb.isEmpty() ? "+" : sb.toString(); // "" is not a valid filter
    return r.nextInt(8) == 0 ? "$share/g" + r.nextInt(2) + "/" + f : f;
  }

  /** Key "client filter" to compare as sets. */
  static Map<String, SubscriptionOptions> expected(
      Map<String, SubscriptionOptions> model, String topic) {
    Map<String, SubscriptionOptions> out = new HashMap<>();
    model.forEach(
        (key, opts) -> {
          String filter = key.substring(key.indexOf(' ') + 1);
          SharedFilter share = Topics.parseShared(filter);
          if (Topics.matches(share == null ? filter : share.filter(), topic)) {
            out.put(key, opts);
          }
        });
    return out;
  }

  static Map<String, SubscriptionOptions> actual(SubscriptionTree tree, String topic) {
    Map<String, SubscriptionOptions> out = new HashMap<>();
    Matches m = tree.match(topic);
    for (Matches.Entry e : m.direct()) {
      if (out.put(e.clientId() + " " + e.filter(), e.options()) != null) {
        throw new AssertionError("duplicate " + e);
      }
    }
    for (SharedGroup g : m.shared()) {
      for (SharedGroup.Member mem : g.members()) {
        out.put(mem.clientId() + " " + g.shareName(), mem.options());
      }
    }
    return out;
  }

  @Test
  void matchEqualsBruteForce() {
    for (long seed = 1; seed <= 12; seed++) {
      Random r = new Random(seed);
      SubscriptionTree tree = new SubscriptionTree();
      Map<String, SubscriptionOptions> model = new HashMap<>();
      for (int op = 0; op < 600; op++) {
        String client = "c" + r.nextInt(15);
        String filter = randomFilter(r);
        String key = client + " " + filter;
        if (r.nextInt(3) == 0) {
          assertEquals(model.remove(key) != null, tree.unsubscribe(client, filter), key);
        } else {
          SubscriptionOptions o = new SubscriptionOptions(r.nextInt(3), false, false, 0, op);
          assertEquals(model.put(key, o), tree.subscribe(client, filter, o), key);
        }
        if (op % 20 == 0) {
          for (int t = 0; t < 20; t++) {
            String topic = randomTopic(r);
            assertEquals(expected(model, topic), actual(tree, topic), "seed " + seed + " " + topic);
          }
        }
      }
      assertEquals(model.size(), tree.subscriptionCount());
      assertEquals(distinctFilters(model), tree.filterCount());
      for (String key : new ArrayList<>(model.keySet())) {
        int sp = key.indexOf(' ');
        assertEquals(true, tree.unsubscribe(key.substring(0, sp), key.substring(sp + 1)));
      }
      assertEquals(0, tree.nodeCount(), "seed " + seed);
      assertEquals(0, tree.filterCount());
    }
  }

  static int distinctFilters(Map<String, SubscriptionOptions> model) {
    List<String> filters = new ArrayList<>();
    for (String key : model.keySet()) {
      filters.add(key.substring(key.indexOf(' ') + 1));
    }
    return (int) filters.stream().distinct().count();
  }
}
