package io.simqtt.core.it;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.simqtt.core.auth.Access;
import io.simqtt.core.auth.AuthDecision;
import io.simqtt.core.auth.Authenticator;
import io.simqtt.core.auth.Authorizer;
import io.simqtt.core.auth.ClientAccess;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.ConnectAttempt;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * An authenticator and authorizer plug-in (one object in both chains) that lets every client in
 * and allows everything, but, told to, hangs for one client id in one of its questions until
 * released, as a plug-in waiting on a service that does not answer. It ignores interrupts
 * (counting them), the worst case: its thread is free again only when it returns. State is
 * static, as in {@link FlakyAuthorizer}; the jar only names this class.
 */
public final class HangingAuthPlugin implements Authenticator, Authorizer {
  /** Where it hangs: the CONNECT's authentication, or the question for its permissions. */
  enum Question { AUTHENTICATE, ACCESS_FOR }

  /** Longer than any test waits: a plug-in left hanging by a failed test returns at last. */
  private static final long LONGEST_HANG_SECONDS = 30;

  private static volatile String hangFor;
  private static volatile Question hangIn;
  private static volatile CountDownLatch released = new CountDownLatch(0);
  private static final AtomicInteger hung = new AtomicInteger();
  private static final AtomicInteger interrupted = new AtomicInteger();
  private static final AtomicInteger returned = new AtomicInteger();

  /** Writes a plug-in jar naming this class into {@code dir}; returns the config using it. */
  static String config(Path dir) throws IOException {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    try (OutputStream out = Files.newOutputStream(plugins.resolve("hanging.jar"));
        JarOutputStream jar = new JarOutputStream(out)) {
      for (String service : new String[] {"Authenticator", "Authorizer"}) {
        jar.putNextEntry(new JarEntry("META-INF/services/io.simqtt.core.auth." + service));
        jar.write((HangingAuthPlugin.class.getName() + "\n").getBytes(UTF_8));
        jar.closeEntry();
      }
    }
    return "mqtt.auth { plugin-dir = \"" + plugins + "\", chain = [hanging] }\n";
  }

  /** From now on it hangs in {@code question} for {@code clientId}, until {@link #release}. */
  static void hang(String clientId, Question question) {
    hung.set(0);
    interrupted.set(0);
    returned.set(0);
    released = new CountDownLatch(1);
    hangIn = question;
    hangFor = clientId;
  }

  /** Questions that hung return, and it answers at once from now on. */
  static void release() {
    hangFor = null;
    released.countDown();
  }

  /** Questions that hung since {@link #hang}. */
  static int hung() {
    return hung.get();
  }

  /** Interrupts those questions' threads received. */
  static int interrupted() {
    return interrupted.get();
  }

  /** Questions that hung and have returned. */
  static int returned() {
    return returned.get();
  }

  @Override
  public String name() {
    return "hanging";
  }

  @Override
  public AuthDecision authenticate(ConnectAttempt attempt) {
    maybeHang(attempt.clientId(), Question.AUTHENTICATE);
    return AuthDecision.allow();
  }

  @Override
  public ClientAccess accessFor(ClientIdentity client) {
    maybeHang(client.clientId(), Question.ACCESS_FOR);
    return (action, topic, qos, retain) -> Access.ALLOW;
  }

  @Override
  public void close() {}

  private static void maybeHang(String clientId, Question question) {
    if (question != hangIn || !clientId.equals(hangFor)) {
      return;
    }
    hung.incrementAndGet();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LONGEST_HANG_SECONDS);
    try {
      while (true) {
        try {
          released.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
          return;
        } catch (InterruptedException e) {
          interrupted.incrementAndGet();
        }
      }
    } finally {
      returned.incrementAndGet();
    }
  }
}
