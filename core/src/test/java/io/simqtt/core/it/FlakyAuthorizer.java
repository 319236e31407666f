package io.simqtt.core.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.simqtt.core.auth.Access;
import io.simqtt.core.auth.Authorizer;
import io.simqtt.core.auth.ClientAccess;
import io.simqtt.core.auth.ClientIdentity;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * An authorizer plug-in that answers nothing itself ({@link Access#NOT_MINE}, so the next in the
 * chain decides) and fails, as an HTTP one that is down does, for the client ids it is told:
 * everywhere, or everywhere but on the threads that check CONNECTs; or, told to stall, answers
 * nothing off those threads until told it is up, as a service that hangs. State is static, so the test
 * reaches the instance a broker loads from a plug-in jar that only names this class (the class
 * itself comes from the test's class path).
 */
public final class FlakyAuthorizer implements Authorizer {
  private static final Set<String> downFor = ConcurrentHashMap.newKeySet();
  private static volatile boolean connectsToo;
  /** While set, questions off CONNECT's threads wait for it: a service that does not answer. */
  private static volatile CountDownLatch stalled;

  /**
   * Writes the ACL file {@code rules} and a plug-in jar that only names this class into {@code
   * dir}; returns the config that puts this authorizer first in the chain, the ACL file second.
   */
  static String config(Path dir, String rules) throws IOException {
    Path acl = Files.writeString(dir.resolve("acl"), rules);
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    try (OutputStream out = Files.newOutputStream(plugins.resolve("flaky.jar"));
        JarOutputStream jar = new JarOutputStream(out)) {
      jar.putNextEntry(new JarEntry("META-INF/services/io.simqtt.core.auth.Authorizer"));
      jar.write((FlakyAuthorizer.class.getName() + "\n").getBytes(UTF_8));
      jar.closeEntry();
    }
    return "mqtt.sys.interval = 0\nmqtt.auth { acl-file = \"" + acl + "\", plugin-dir = \""
        + plugins + "\", chain = [flaky, acl-file], failure-delay = 0 }\n";
  }

  /**
   * From now on it fails for {@code clientId} (and those named before), on CONNECT's threads too
   * if {@code connects}.
   */
  static void downFor(String clientId, boolean connects) {
    connectsToo = connects;
    downFor.add(clientId);
  }

  /** From now on it answers nothing off CONNECT's threads until {@link #up}: each asker waits. */
  static void stall() {
    stalled = new CountDownLatch(1);
  }

  /** It answers for everyone again, and at once. */
  static void up() {
    downFor.clear();
    CountDownLatch s = stalled;
    stalled = null;
    if (s != null) {
      s.countDown();
    }
  }

  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public ClientAccess accessFor(ClientIdentity client) {
    // simqtt-auth-<n>; not simqtt-auth-reload-<node>, the reloads' thread.
    boolean connectCheck = Thread.currentThread().getName().matches("simqtt-auth-\\d+");
    CountDownLatch s = stalled;
    if (s != null && !connectCheck) {
      try {
        s.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted waiting for the authorization service", e);
      }
    }
    if (downFor.contains(client.clientId()) && (connectsToo || !connectCheck)) {
      throw new IllegalStateException("the authorization service is down (test)");
    }
    return (action, topic, qos, retain) -> Access.NOT_MINE;
  }
}
