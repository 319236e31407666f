package io.simqtt.core.session;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.DefaultEventLoop;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A page of a queue on disk whose read fails is read again after a pause that grows with each
 * failure in a row, on the session's clock (moved by hand here); meanwhile the session goes on
 * with what it has on the heap, and once the store reads again the whole queue arrives in order.
 * Before, a failed read left the backlog marked as being read: nothing more of it came until a
 * restart.
 */
class BacklogReadRetryTest {
  private static final int WINDOW = 4;
  private static final int QUEUED = 20;

  @RegisterExtension final StoredSessionFixture fixture = new StoredSessionFixture();
  private final DefaultEventLoop loop = fixture.loop;
  private final RecordingSessionStore store = fixture.store;
  private final ManualClock clock = fixture.clock;

  @Test
  void aFailedPageReadIsTriedAgainAfterGrowingPausesAndTheQueueDrains() throws Exception {
    SessionRegistry registry =
        fixture.registry("mqtt.sessions.queue-memory-messages = " + WINDOW);
    Session s = fixture.offlineWith(registry,
        IntStream.rangeClosed(1, QUEUED).mapToObj(BacklogReadRetryTest::delivery)
            .toArray(Delivery[]::new));
    assertEquals(WINDOW, onLoop(s::queuedInMemory), "the rest of the queue is on disk only");
    store.failPageReads(3);

    FakeConnection c = new FakeConnection(loop);
    fixture.connect(s, c, false, null);
    await("the first page read failed", () -> store.failedPageReads() == 1);
    assertEquals(numbers(1, WINDOW), onLoop(c::publishedNumbers),
        "the session went on with what it had on the heap");

    long[] pauses = {10, 20, 40};
    for (int i = 0; i < pauses.length; i++) {
      int failedSoFar = i + 1;
      clock.advance(pauses[i] - 1);
      assertEquals(failedSoFar, store.failedPageReads(), "not read again before the pause ends");
      clock.advance(1);
      if (failedSoFar < 3) {
        await("read again, failing", () -> store.failedPageReads() == failedSoFar + 1);
        onLoop(() -> null); // the session has armed its next pause
      }
    }

    await("the whole queue arrived once the store read again",
        () -> onLoopQuietly(c::publishedNumbers).size() == QUEUED);
    assertEquals(numbers(1, QUEUED), onLoop(c::publishedNumbers), "in order, once each");
    assertEquals(3, store.failedPageReads());
    assertEquals(0, onLoop(s::queuedCount));
  }

  private static Delivery delivery(int n) {
    return StoredSessionFixture.delivery(n, 1);
  }

  private static List<Integer> numbers(int from, int to) {
    return IntStream.rangeClosed(from, to).boxed().toList();
  }

  private <T> T onLoop(Callable<T> task) throws Exception {
    return fixture.onLoop(task);
  }

  private <T> T onLoopQuietly(Callable<T> task) {
    try {
      return onLoop(task);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
