package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.it.Clients;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Recovery's questions to the authorizers: bounded in time, each answer for its own client. */
class PermissionRetriesTest {

  /**
   * Two threads, three clients, the authorizer hanging for the second: the other thread answers
   * the first and the third, and the second, not answered within the wait, is unknown.
   */
  @Test
  void aClientNotAnsweredWithinTheWaitIsUnknownAndTheOthersGetTheirOwnAnswers() {
    ClientIdentity a = client("a");
    ClientIdentity b = client("b");
    ClientIdentity c = client("c");
    CountDownLatch hang = new CountDownLatch(1);
    PermissionRetries retries = new PermissionRetries(who -> {
      if (who == b) {
        try {
          hang.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Permissions.ALL;
    }, 2, Duration.ofMillis(200), Duration.ofSeconds(10));
    try {
      List<Permissions> answers = retries.resolveAll(List.of(a, b, c));
      assertEquals(List.of(true, false, true),
          answers.stream().map(Permissions::isKnown).toList());
      assertSame(b, answers.get(1).client(), "unknown for the client not answered");
    } finally {
      hang.countDown();
      retries.close();
    }
  }

  /**
   * A question still under way when the wait is over is called off: nobody waits for its answer
   * (the retries ask again), so an authorizer that hangs keeps no recovery thread after the node
   * started, nor after it stopped. Before, the thread asking stayed blocked for as long as the
   * authorizer hung.
   */
  @Test
  void aQuestionStillUnderWayWhenTheWaitIsOverEndsItsThread() throws Exception {
    CompletableFuture<Thread> asker = new CompletableFuture<>();
    CountDownLatch never = new CountDownLatch(1);
    PermissionRetries retries = new PermissionRetries(who -> {
      asker.complete(Thread.currentThread());
      return hang(never, () -> { });
    }, 1, Duration.ofMillis(100), Duration.ofSeconds(10));
    try {
      List<Permissions> answers = retries.resolveAll(List.of(client("a")));
      assertFalse(answers.get(0).isKnown());
      Thread t = asker.get(5, TimeUnit.SECONDS);
      t.join(TimeUnit.SECONDS.toMillis(5));
      assertFalse(t.isAlive(), "the recovery thread still asks the hanging authorizer");
    } finally {
      never.countDown();
      retries.close();
    }
  }

  /**
   * The authorizer keeps failing for one client (its lookup errs) and answers for the others: a
   * will of another client waiting behind it goes out all the same. Before, the client it failed
   * for went back to the head of the list, every round stopped at it, and the will behind it
   * waited for as long as the node ran.
   */
  @Test
  void aClientTheAuthorizerKeepsFailingForHoldsNoOtherBack() throws Exception {
    ClientIdentity failing = client("a");
    ClientIdentity answered = client("b");
    PermissionRetries retries = new PermissionRetries(
        who -> who == failing ? Permissions.unknown(who) : Permissions.ALL,
        1, Duration.ofSeconds(1), Duration.ofSeconds(10));
    try {
      Permissions got = willBehind(retries, failing, answered);
      assertSame(Permissions.ALL, got, "b's will still waits behind a");
      // b counts as waiting until its answer is handed over, which completed the will just now.
      Clients.await("a waits on, alone", () -> retries.waiting() == 1);
    } finally {
      retries.close();
    }
  }

  /**
   * The authorizer hangs for one client (a plug-in waiting on a service that never answers) and
   * answers for the others: the retry gives that question up after {@code mqtt.auth.retry-wait}
   * (interrupted, counted), puts its client at the back, and the next round asks for the next
   * first, so a will of another client goes out. Before, the retries' thread waited on the question that hung, and
   * every session and will behind it waited, for as long as the node ran.
   */
  @Test
  void aQuestionTheAuthorizerHangsOnIsGivenUpAndTheOthersAreAnswered() throws Exception {
    ClientIdentity hanging = client("a");
    ClientIdentity answered = client("b");
    CountDownLatch never = new CountDownLatch(1);
    CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
    PermissionRetries retries = new PermissionRetries(
        who -> who == hanging ? hang(never, () -> interrupted.complete(true)) : Permissions.ALL,
        1, Duration.ofSeconds(1), Duration.ofMillis(100));
    try {
      Permissions got = willBehind(retries, hanging, answered);
      assertSame(Permissions.ALL, got, "b's will still waits behind a question that hangs");
      assertTrue(interrupted.get(5, TimeUnit.SECONDS), "the question given up runs on");
      assertEquals(1, retries.abandoned());
      Clients.await("a waits on, alone", () -> retries.waiting() == 1);
    } finally {
      never.countDown();
      retries.close();
    }
  }

  /**
   * The authorizer hangs for every client (the service it asks is down and does not refuse): a
   * round ends at the first question given up, so the next client is asked a round later, after
   * the doubled pause, and a down authorizer is asked once per pause. Before, one round asked
   * every client, each for up to {@code mqtt.auth.retry-wait} (10,000 sessions at 10 s: 28 h a
   * round, every question to a service already down).
   */
  @Test
  void aRoundEndsAtTheFirstQuestionGivenUp() throws Exception {
    ClientIdentity first = client("a");
    ClientIdentity second = client("b");
    CountDownLatch never = new CountDownLatch(1);
    AtomicReference<PermissionRetries> holder = new AtomicReference<>();
    // The pause before the next round, as each question is asked: doubled once a round ended.
    CompletableFuture<Long> firstAsked = new CompletableFuture<>();
    CompletableFuture<Long> secondAsked = new CompletableFuture<>();
    PermissionRetries retries = new PermissionRetries(who -> {
      (who == first ? firstAsked : secondAsked).complete(holder.get().pauseMillis());
      return hang(never, () -> { });
    }, 1, Duration.ofSeconds(1), Duration.ofMillis(100));
    holder.set(retries);
    try {
      retries.whenKnown(first, p -> { });
      retries.whenKnown(second, p -> { });
      assertEquals(PermissionRetries.FIRST_PAUSE_MILLIS, firstAsked.get(5, TimeUnit.SECONDS));
      assertEquals(2 * PermissionRetries.FIRST_PAUSE_MILLIS, secondAsked.get(10, TimeUnit.SECONDS),
          "b was asked in the round a's question was given up in");
      assertEquals(1, retries.abandoned());
      assertEquals(2, retries.waiting());
    } finally {
      never.countDown();
      retries.close();
    }
  }

  /**
   * An authorizer's answer that never comes: waits on {@code never} until the question is called
   * off (interrupted), then runs {@code calledOff} and fails.
   */
  private static Permissions hang(CountDownLatch never, Runnable calledOff) {
    try {
      never.await();
    } catch (InterruptedException e) {
      calledOff.run();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("the question was called off", e);
    }
    return Permissions.ALL;
  }

  /**
   * Asks for {@code first}'s permissions, then for {@code behind}'s; returns what {@code
   * behind}'s will got within eight first pauses (null: nothing).
   */
  private static Permissions willBehind(
      PermissionRetries retries, ClientIdentity first, ClientIdentity behind) {
    CompletableFuture<Permissions> will = new CompletableFuture<>();
    retries.whenKnown(first, p -> { });
    retries.whenKnown(behind, will::complete);
    return will.completeOnTimeout(
        null, 8 * PermissionRetries.FIRST_PAUSE_MILLIS, TimeUnit.MILLISECONDS).join();
  }

  private static ClientIdentity client(String id) {
    return new ClientIdentity(id, null, null, "tcp", null);
  }
}
