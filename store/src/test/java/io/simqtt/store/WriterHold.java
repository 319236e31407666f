package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.session.SessionStore;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds a store's writer thread inside an action until the test closes the hold: everything
 * queued meanwhile waits, so the test knows exactly what the writer takes next.
 */
final class WriterHold implements AutoCloseable {
  /**
   * The writer goes on by itself after this: a test that never lets it go would otherwise leave
   * the store's close waiting for the writer without end.
   */
  private static final long MOST_SECONDS = 60;

  private final CountDownLatch release = new CountDownLatch(1);

  private WriterHold() {}

  /** Returns once the writer is held. */
  static WriterHold on(SessionStore store) throws InterruptedException {
    return on(store, () -> { });
  }

  /** Returns once the writer is held; {@code then} runs on the writer once it is let go. */
  static WriterHold on(SessionStore store, Runnable then) throws InterruptedException {
    WriterHold hold = new WriterHold();
    CountDownLatch holding = new CountDownLatch(1);
    store.afterDurable(() -> {
      holding.countDown();
      try {
        hold.release.await(MOST_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      then.run();
    });
    assertTrue(holding.await(10, TimeUnit.SECONDS), "the writer takes the holding action");
    return hold;
  }

  /** Lets the writer go: at the end of the test's try block, whether it passed or failed. */
  @Override
  public void close() {
    release.countDown();
  }
}
