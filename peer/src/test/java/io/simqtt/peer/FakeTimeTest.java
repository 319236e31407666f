package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The manual time the in-process cluster tests run on. */
class FakeTimeTest {

  @Test
  void tasksRunOnlyWhenTimeIsAdvancedPastThemInDueOrderSeeingTheirDueTime() {
    FakeTime time = new FakeTime();
    Scheduler s = time.scheduler();
    long t0 = s.nanoTime();
    List<String> ran = new ArrayList<>();
    s.schedule(() -> ran.add("b@" + (s.nanoTime() - t0) / 1_000_000), 200, TimeUnit.MILLISECONDS);
    s.schedule(() -> ran.add("a@" + (s.nanoTime() - t0) / 1_000_000), 100, TimeUnit.MILLISECONDS);

    time.advance(Duration.ofMillis(99));
    assertEquals(List.of(), ran);
    time.advance(Duration.ofMillis(150));
    assertEquals(List.of("a@100", "b@200"), ran);
    assertEquals(249, (s.nanoTime() - t0) / 1_000_000);
  }

  @Test
  void aRepeatingTaskRunsOncePerPeriodUntilCancelledAndChainedTasksRunWithinTheStep() {
    FakeTime time = new FakeTime();
    Scheduler s = time.scheduler();
    List<Long> beats = new ArrayList<>();
    long t0 = s.nanoTime();
    Scheduler.Cancellable beat =
        s.scheduleRepeating(() -> beats.add((s.nanoTime() - t0) / 1_000_000), 2, TimeUnit.SECONDS);
    List<String> chained = new ArrayList<>();
    s.schedule(() -> s.schedule(() -> chained.add("second"), 1, TimeUnit.SECONDS),
        1, TimeUnit.SECONDS);

    time.advance(Duration.ofSeconds(5));
    assertEquals(List.of(2000L, 4000L), beats);
    assertEquals(List.of("second"), chained);
    beat.cancel();
    time.advance(Duration.ofSeconds(5));
    assertEquals(List.of(2000L, 4000L), beats);
    assertEquals(0, time.pending());
  }

  @Test
  void aShutDownSchedulerDropsItsTasksOnlyAndAnyScheduledLater() {
    FakeTime time = new FakeTime();
    Scheduler stopped = time.scheduler();
    Scheduler running = time.scheduler();
    List<String> ran = new ArrayList<>();
    stopped.schedule(() -> ran.add("stopped"), 1, TimeUnit.SECONDS);
    running.schedule(() -> ran.add("running"), 1, TimeUnit.SECONDS);
    stopped.shutdown();

    time.advance(Duration.ofSeconds(1));
    assertEquals(List.of("running"), ran);
    stopped.schedule(() -> ran.add("later"), 1, TimeUnit.SECONDS);
    time.advance(Duration.ofSeconds(1));
    assertEquals(List.of("running"), ran);
  }
}
