package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.DefaultEventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session's tasks, as plain tasks and as a handler with its arguments, on a real event loop
 * held busy so that tasks from another thread queue up: one order, the home loop's thread, and a
 * failing task does not stop the ones after it.
 */
class SerialExecutorTest {
  private final DefaultEventLoop home = new DefaultEventLoop();
  /** Notes a task's name, marked when it did not run on the home loop. */
  private final BiConsumer<List<String>, String> record =
      (list, name) -> list.add(home.inEventLoop() ? name : name + " OFF HOME");
  private final SerialExecutor executor = new SerialExecutor(home) {};
  /** Touched by the executor's tasks only, so on the home loop only. */
  private final List<String> ran = new ArrayList<>();

  @AfterEach
  void stop() {
    home.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void bothFormsRunInSubmissionOrderAndATaskFromHomeDoesNotOvertakeQueuedOnes() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    home.execute(() -> awaitQuietly(release));
    // Runs right after the release, while the tasks handed over below wait in the inbox.
    CompletableFuture<Void> submittedFromHome = new CompletableFuture<>();
    home.execute(() -> {
      executor.execute(record, ran, "from home");
      submittedFromHome.complete(null);
    });
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String name = "handed over " + i;
      if (i % 2 == 0) {
        executor.execute(() -> record.accept(ran, name));
      } else {
        executor.execute(record, ran, name);
      }
      expected.add(name);
    }
    expected.add("from home");
    release.countDown();
    submittedFromHome.get(10, TimeUnit.SECONDS);

    assertEquals(expected, ranSoFar());
  }

  @Test
  void aFailingTaskOfEitherFormIsLoggedAndTheNextOneRuns() throws Exception {
    executor.execute(
        (a, b) -> {
          throw new IllegalStateException("a handler fails on purpose");
        },
        ran,
        "never");
    executor.execute(() -> {
      throw new IllegalStateException("a task fails on purpose");
    });
    executor.execute(record, ran, "after both");

    assertEquals(List.of("after both"), ranSoFar());
  }

  /** What ran, read by a task of the executor itself, so after everything submitted before. */
  private List<String> ranSoFar() throws Exception {
    CompletableFuture<List<String>> seen = new CompletableFuture<>();
    executor.execute(() -> seen.complete(List.copyOf(ran)));
    return seen.get(10, TimeUnit.SECONDS);
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
