package io.simqtt.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.session.SessionStore;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds a store's writer thread inside an action until the test releases it: everything queued
 * meanwhile waits, so the test knows exactly what the writer takes next.
 */
final class WriterHold {
  private final CountDownLatch release = new CountDownLatch(1);

  private WriterHold() {}

  /** Returns once the writer is held. */
  static WriterHold on(SessionStore store) throws InterruptedException {
    return on(store, () -> { });
  }

  /** Returns once the writer is held; {@code then} runs on the writer once it is released. */
  static WriterHold on(SessionStore store, Runnable then) throws InterruptedException {
    WriterHold hold = new WriterHold();
    CountDownLatch holding = new CountDownLatch(1);
    store.afterDurable(() -> {
      holding.countDown();
      try {
        hold.release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      then.run();
    });
    assertTrue(holding.await(10, TimeUnit.SECONDS), "the writer takes the holding action");
    return hold;
  }

  void release() {
    release.countDown();
  }
}
