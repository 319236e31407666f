package io.simqtt.peer.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a process (java -cp <test classpath> AdminCli ...) against a running node. */
class AdminCliTest {
  private static AdminTestNode node;
  @TempDir static Path dir;
  private static Path acl;

  @BeforeAll
  static void start() throws Exception {
    acl = Files.writeString(dir.resolve("acl"), "topic readwrite #\n");
    node = new AdminTestNode("mqtt.auth { acl-file = \"" + acl + "\", reload-on-change = false }");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private record Result(int exit, String out, String err) {}

  private static Result cli(String token, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // One logback config, or logback reports the duplicate on stdout.
        "-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile"), "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        AdminCli.class.getName()));
    cmd.addAll(List.of(args));
    if (args.length > 0 && !args[0].startsWith("-")) {
      cmd.add("--node");
      cmd.add("127.0.0.1:" + node.admin.address().getPort());
    }
    ProcessBuilder b = new ProcessBuilder(cmd);
    b.environment().remove("SIMQTT_ADMIN_TOKEN");
    if (token != null) {
      b.environment().put("SIMQTT_ADMIN_TOKEN", token);
    }
    b.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = b.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "CLI did not exit");
    return new Result(p.exitValue(),
        new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void tablesJsonAndExitCodes() throws Exception {
    Mqtt5BlockingClient c = node.client("cli-client");
    c.subscribeWith().topicFilter("cli/#").send();

    Result clients = cli(AdminTestNode.TOKEN, "clients");
    assertEquals(0, clients.exit(), clients.err());
    assertTrue(clients.out().startsWith("CLIENT_ID"), clients.out());
    assertTrue(clients.out().contains("cli-client"), clients.out());

    Result json = cli(AdminTestNode.TOKEN, "client", "cli-client", "--json");
    assertEquals(0, json.exit(), json.err());
    assertTrue(json.out().contains("\"clientId\": \"cli-client\""), json.out());
    assertTrue(json.out().contains("\"filter\": \"cli/#\""), json.out());

    Result pub = cli(null, "publish", "cli/x", "hello", "--qos", "1", "--retain",
        "--token", AdminTestNode.TOKEN);
    assertEquals(0, pub.exit(), pub.err());
    assertEquals("published to 1 receivers\n", pub.out());
    Result retained = cli(AdminTestNode.TOKEN, "retained", "cli/#");
    assertTrue(retained.out().contains("cli/x") && retained.out().contains("hello"),
        retained.out());

    Result missing = cli(AdminTestNode.TOKEN, "client", "nobody");
    assertEquals(1, missing.exit());
    assertEquals("si-mqtt-admin: NOT_FOUND: no client 'nobody'\n", missing.err());

    Result noToken = cli(null, "status");
    assertEquals(1, noToken.exit());
    assertTrue(noToken.err().startsWith("si-mqtt-admin: UNAUTHENTICATED: "), noToken.err());

    Result readOnly = cli(AdminTestNode.READ_ONLY_TOKEN, "kick", "cli-client");
    assertEquals(1, readOnly.exit());
    assertEquals("si-mqtt-admin: PERMISSION_DENIED: KickClient changes the broker and needs"
        + " admin.token; this token is admin.read-only-token, which may only read (give the"
        + " admin token: --token or SIMQTT_ADMIN_TOKEN)\n", readOnly.err());
    assertEquals(0, cli(AdminTestNode.READ_ONLY_TOKEN, "clients").exit(), "reads are fine");

    Result usage = cli(AdminTestNode.TOKEN, "publish");
    assertEquals(2, usage.exit());

    Result status = cli(AdminTestNode.TOKEN, "status");
    assertEquals(0, status.exit(), status.err());
    assertTrue(status.out().contains("n1"), status.out());
    c.disconnect();
  }

  @Test
  void reloadSaysPerNodeAndFailsWhenAFileIsBroken() throws Exception {
    Result ok = cli(AdminTestNode.TOKEN, "reload");
    assertEquals(0, ok.exit(), ok.err());
    assertTrue(ok.out().startsWith("NODE"), ok.out());
    assertTrue(ok.out().contains("n1    yes"), ok.out());
    assertTrue(ok.out().contains("1 rules from " + acl), ok.out());

    Files.writeString(acl, "topic readwrite #\nwhat\n");
    try {
      Result broken = cli(AdminTestNode.TOKEN, "reload", "--json");
      assertEquals(1, broken.exit(), "a node kept its rules: " + broken.out());
      assertTrue(broken.out().contains("\"reloaded\": false"), broken.out());
      assertTrue(broken.out().contains(acl + " line 2: unknown keyword what"), broken.out());
    } finally {
      Files.writeString(acl, "topic readwrite #\n");
    }
  }
}
