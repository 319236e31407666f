package io.simqtt.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mosquitto's acl_file rules, answered as Mosquitto answers them. */
class AclFileTest {
  @TempDir Path dir;

  private AclFile load(String text) throws Exception {
    return AclFile.load(Files.writeString(dir.resolve("acl"), text));
  }

  private static Access check(ClientAccess a, Action action, String topic) {
    return a.check(action, topic, 1, false);
  }

  private static ClientIdentity client(String id, String user) {
    return new ClientIdentity(id, user, null, "tcp", null);
  }

  private static final String ACL = """
      # anonymous clients: public only
      topic read public/#

      user alice
      topic readwrite home/#
      topic deny home/secret/#
      topic write   logs/alice
      topic $SYS/#

      user bob
      topic read home/+/temp

      pattern readwrite devices/%c/#
      pattern read users/%u/inbox
      """;

  @Test
  void usersGetTheirRulesAndPatternsAreFilledInPerClient() throws Exception {
    AclFile acl = load(ACL);
    assertEquals(8, acl.ruleCount());
    ClientAccess alice = acl.accessFor(client("a1", "alice"));
    assertEquals(Access.ALLOW, check(alice, Action.PUBLISH, "home/kitchen/temp"));
    assertEquals(Access.ALLOW, check(alice, Action.RECEIVE, "home/kitchen/temp"));
    assertEquals(Access.DENY, check(alice, Action.RECEIVE, "home/secret/key"), "deny wins");
    assertEquals(Access.DENY, check(alice, Action.PUBLISH, "home/secret"), "# matches its parent");
    assertEquals(Access.ALLOW, check(alice, Action.PUBLISH, "logs/alice"));
    assertEquals(Access.NOT_MINE, check(alice, Action.RECEIVE, "logs/alice"), "write only");
    assertEquals(Access.NOT_MINE, check(alice, Action.PUBLISH, "public/news"), "not alice's");
    assertEquals(Access.ALLOW, check(alice, Action.RECEIVE, "$SYS/broker/uptime"));

    ClientAccess bob = acl.accessFor(client("b1", "bob"));
    assertEquals(Access.ALLOW, check(bob, Action.RECEIVE, "home/kitchen/temp"));
    assertEquals(Access.NOT_MINE, check(bob, Action.PUBLISH, "home/kitchen/temp"));
    assertEquals(Access.NOT_MINE, check(bob, Action.RECEIVE, "$SYS/broker/uptime"));

    assertEquals(Access.ALLOW, check(bob, Action.PUBLISH, "devices/b1/state"));
    assertEquals(Access.NOT_MINE, check(bob, Action.PUBLISH, "devices/a1/state"), "%c is own id");
    assertEquals(Access.ALLOW, check(bob, Action.RECEIVE, "users/bob/inbox"));
    assertEquals(Access.NOT_MINE, check(bob, Action.RECEIVE, "users/alice/inbox"));

    ClientAccess anon = acl.accessFor(client("x1", null));
    assertEquals(Access.ALLOW, check(anon, Action.RECEIVE, "public/news"));
    assertEquals(Access.NOT_MINE, check(anon, Action.PUBLISH, "public/news"));
    assertEquals(Access.ALLOW, check(anon, Action.PUBLISH, "devices/x1/s"), "patterns for all");
    assertEquals(Access.NOT_MINE, check(anon, Action.RECEIVE, "users/%u/inbox"),
        "%u never matches without a user name");

    ClientAccess stranger = acl.accessFor(client("s1", "stranger"));
    assertEquals(Access.NOT_MINE, check(stranger, Action.RECEIVE, "public/news"),
        "anonymous rules are not for named users");
  }

  @Test
  void aSubscriptionIsAllowedWhereARuleCoversAllItCanMatch() throws Exception {
    AclFile acl = load(ACL);
    ClientAccess alice = acl.accessFor(client("a1", "alice"));
    ClientAccess bob = acl.accessFor(client("b1", "bob"));
    assertEquals(Access.ALLOW, check(alice, Action.SUBSCRIBE, "home/#"));
    assertEquals(Access.ALLOW, check(alice, Action.SUBSCRIBE, "home/+/temp"));
    assertEquals(Access.DENY, check(alice, Action.SUBSCRIBE, "home/secret/+"));
    assertEquals(Access.ALLOW, check(bob, Action.SUBSCRIBE, "home/+/temp"));
    assertEquals(Access.ALLOW, check(bob, Action.SUBSCRIBE, "home/hall/temp"));
    assertEquals(Access.NOT_MINE, check(bob, Action.SUBSCRIBE, "home/#"), "wider than the rule");
    assertEquals(Access.NOT_MINE, check(bob, Action.SUBSCRIBE, "home/+/+"));
    assertEquals(Access.NOT_MINE, check(bob, Action.SUBSCRIBE, "#"));
  }

  @Test
  void wildcardRulesDoNotReachDollarTopics() throws Exception {
    ClientAccess all = load("pattern readwrite #\n").accessFor(client("c", "u"));
    assertEquals(Access.ALLOW, check(all, Action.RECEIVE, "any/thing"));
    assertEquals(Access.NOT_MINE, check(all, Action.RECEIVE, "$SYS/broker/uptime"));
    assertEquals(Access.NOT_MINE, check(all, Action.SUBSCRIBE, "$SYS/#"));
  }

  @Test
  void brokenLinesAreReportedWithFileAndLine() throws Exception {
    Path f = dir.resolve("acl");
    Files.writeString(f, "user alice\ntopic read a/#/b\n");
    assertEquals(f + " line 2: not a valid topic filter: a/#/b",
        assertThrows(AuthFileException.class, () -> AclFile.load(f)).getMessage());
    Files.writeString(f, "# ok\nallow all\n");
    assertEquals(f + " line 2: unknown keyword allow (expected topic, user or pattern)",
        assertThrows(AuthFileException.class, () -> AclFile.load(f)).getMessage());
    Files.writeString(f, "topic read\n");
    assertEquals(f + " line 1: topic needs a topic filter",
        assertThrows(AuthFileException.class, () -> AclFile.load(f)).getMessage());
  }
}
