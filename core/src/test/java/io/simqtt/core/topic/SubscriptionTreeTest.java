package io.simqtt.core.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubscriptionTreeTest {
  static final SubscriptionOptions Q0 = new SubscriptionOptions(0, false, false, 0, 0);
  static final SubscriptionOptions Q1 = new SubscriptionOptions(1, false, false, 0, 7);
  static final SubscriptionOptions Q2 = new SubscriptionOptions(2, true, true, 2, 0);

  final SubscriptionTree tree = new SubscriptionTree();

  static List<String> direct(Matches m) {
    List<String> out = new ArrayList<>();
    for (Matches.Entry e : m.direct()) {
      out.add(e.clientId() + ":" + e.filter());
    }
    out.sort(null);
    return out;
  }

  @Test
  void emptyTreeReturnsSharedEmpty() {
    assertSame(Matches.EMPTY, tree.match("a/b"));
    tree.subscribe("c", "x/y", Q0);
    assertSame(Matches.EMPTY, tree.match("a/b"));
    assertTrue(Matches.EMPTY.isEmpty());
  }

  @Test
  void overlappingFiltersGiveOneEntryEach() {
    tree.subscribe("c1", "a/b", Q0);
    tree.subscribe("c1", "a/+", Q1);
    tree.subscribe("c1", "#", Q2);
    tree.subscribe("c2", "a/#", Q0);
    tree.subscribe("c3", "b/#", Q0);
    assertEquals(List.of("c1:#", "c1:a/+", "c1:a/b", "c2:a/#"), direct(tree.match("a/b")));
    assertEquals(List.of("c1:#", "c2:a/#"), direct(tree.match("a")));
    assertEquals(List.of("c1:#", "c3:b/#"), direct(tree.match("b")));
    assertEquals(5, tree.subscriptionCount());
    assertEquals(5, tree.filterCount());
  }

  @Test
  void replaceKeepsOneSubscription() {
    assertNull(tree.subscribe("c", "a/+", Q0));
    assertEquals(Q0, tree.subscribe("c", "a/+", Q1));
    Matches m = tree.match("a/x");
    assertEquals(1, m.direct().size());
    assertEquals(Q1, m.direct().get(0).options());
    assertEquals(1, tree.subscriptionCount());
    assertEquals(1, tree.filterCount());
  }

  @Test
  void unsubscribeRemovesAndPrunes() {
    tree.subscribe("c1", "a/b/c", Q0);
    tree.subscribe("c2", "a/b/c", Q0);
    tree.subscribe("c1", "a/+/c", Q0);
    assertFalse(tree.unsubscribe("c3", "a/b/c"));
    assertFalse(tree.unsubscribe("c1", "a/b"));
    assertFalse(tree.unsubscribe("c1", "x/y/z"));
    assertTrue(tree.unsubscribe("c1", "a/b/c"));
    assertFalse(tree.unsubscribe("c1", "a/b/c"));
    assertEquals(List.of("c1:a/+/c", "c2:a/b/c"), direct(tree.match("a/b/c")));
    assertEquals(2, tree.subscriptionCount());
    assertEquals(2, tree.filterCount());
    assertTrue(tree.unsubscribe("c2", "a/b/c"));
    assertEquals(3, tree.nodeCount()); // a, +, c
    assertTrue(tree.unsubscribe("c1", "a/+/c"));
    assertEquals(0, tree.nodeCount());
    assertEquals(0, tree.subscriptionCount());
    assertEquals(0, tree.filterCount());
    assertSame(Matches.EMPTY, tree.match("a/b/c"));
  }

  @Test
  void interiorNodeWithSubscriptionIsKept() {
    tree.subscribe("c", "a", Q0);
    tree.subscribe("c", "a/b/c", Q0);
    tree.unsubscribe("c", "a/b/c");
    assertEquals(1, tree.nodeCount());
    assertEquals(List.of("c:a"), direct(tree.match("a")));
  }

  @Test
  void dollarTopicsSkipLeadingWildcards() {
    tree.subscribe("c1", "#", Q0);
    tree.subscribe("c2", "+/monitor/Clients", Q0);
    tree.subscribe("c3", "$SYS/#", Q0);
    tree.subscribe("c4", "$SYS/monitor/+", Q0);
    tree.subscribe("c5", "$share/g/#", Q0);
    Matches m = tree.match("$SYS/monitor/Clients");
    assertEquals(List.of("c3:$SYS/#", "c4:$SYS/monitor/+"), direct(m));
    assertTrue(m.shared().isEmpty());
    assertEquals(List.of("c1:#", "c2:+/monitor/Clients"), direct(tree.match("x/monitor/Clients")));
  }

  @Test
  void sharedGroups() {
    assertNull(tree.subscribe("w1", "$share/g/jobs/+", Q0));
    assertNull(tree.subscribe("w2", "$share/g/jobs/+", Q1));
    assertNull(tree.subscribe("w3", "$share/h/jobs/+", Q0));
    assertNull(tree.subscribe("d", "jobs/+", Q0));
    assertEquals(Q1, tree.subscribe("w2", "$share/g/jobs/+", Q2));
    assertEquals(4, tree.subscriptionCount());
    assertEquals(3, tree.filterCount());

    Matches m = tree.match("jobs/1");
    assertEquals(List.of("d:jobs/+"), direct(m));
    assertEquals(2, m.shared().size());
    SharedGroup g = m.shared().stream().filter(x -> x.group().equals("g")).findFirst().get();
    assertEquals("jobs/+", g.filter());
    assertEquals("$share/g/jobs/+", g.shareName());
    assertEquals(
        List.of(new SharedGroup.Member("w1", Q0), new SharedGroup.Member("w2", Q2)), g.members());

    // stable identity while it has members
    tree.subscribe("w4", "$share/g/jobs/+", Q0);
    SharedGroup again =
        tree.match("jobs/2").shared().stream().filter(x -> x.group().equals("g")).findFirst().get();
    assertSame(g, again);
    assertEquals(3, again.members().size());

    assertTrue(tree.unsubscribe("w1", "$share/g/jobs/+"));
    assertFalse(tree.unsubscribe("w1", "$share/g/jobs/+"));
    assertFalse(tree.unsubscribe("w3", "$share/g/jobs/+"));
    assertFalse(tree.unsubscribe("w3", "$share//jobs/+"));
    assertEquals(List.of("w2", "w4"), g.members().stream().map(SharedGroup.Member::clientId).toList());
    tree.unsubscribe("w2", "$share/g/jobs/+");
    tree.unsubscribe("w4", "$share/g/jobs/+");
    assertEquals(2, tree.filterCount());
    tree.subscribe("w1", "$share/g/jobs/+", Q0);
    SharedGroup fresh =
        tree.match("jobs/2").shared().stream().filter(x -> x.group().equals("g")).findFirst().get();
    assertNotSame(g, fresh);

    tree.unsubscribe("w1", "$share/g/jobs/+");
    tree.unsubscribe("w3", "$share/h/jobs/+");
    tree.unsubscribe("d", "jobs/+");
    assertEquals(0, tree.nodeCount());
    assertEquals(0, tree.subscriptionCount());
  }

  @Test
  void malformedShareIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> tree.subscribe("c", "$share/g", Q0));
  }

  @Test
  void roundRobinIndexStaysInRange() {
    SharedGroup g = new SharedGroup("g", "f");
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 9; i++) {
      seen.add(g.nextIndex(3));
    }
    assertEquals(Set.of(0, 1, 2), seen);
    assertEquals(0, g.nextIndex(0));
  }

  @Test
  void manyClientsOnOneFilter() {
    for (int i = 0; i < 1000; i++) {
      tree.subscribe("c" + i, "big/+", Q0);
    }
    for (int i = 0; i < 1000; i += 2) {
      assertTrue(tree.unsubscribe("c" + i, "big/+"));
    }
    assertEquals(Q0, tree.subscribe("c1", "big/+", Q1));
    Matches m = tree.match("big/x");
    assertEquals(500, m.direct().size());
    Set<String> ids = new HashSet<>();
    for (Matches.Entry e : m.direct()) {
      assertTrue(ids.add(e.clientId()));
      assertTrue(Integer.parseInt(e.clientId().substring(1)) % 2 == 1);
    }
    assertEquals(500, tree.subscriptionCount());
  }

  @Test
  void manyChildrenOnOneLevel() {
    for (int i = 0; i < 2000; i++) {
      tree.subscribe("c", "dev/" + i + "/state", Q0);
    }
    for (int i = 0; i < 2000; i++) {
      assertEquals(1, tree.match("dev/" + i + "/state").direct().size(), "dev " + i);
    }
    for (int i = 0; i < 2000; i += 3) {
      tree.unsubscribe("c", "dev/" + i + "/state");
    }
    for (int i = 0; i < 2000; i++) {
      assertEquals(i % 3 == 0 ? 0 : 1, tree.match("dev/" + i + "/state").direct().size());
    }
    for (int i = 0; i < 2000; i++) {
      tree.unsubscribe("c", "dev/" + i + "/state");
    }
    assertEquals(0, tree.nodeCount());
  }
}
