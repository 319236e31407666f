package io.simqtt.store;

import static io.simqtt.core.it.Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.StorageSettings;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.StoredMessage;
import io.simqtt.core.session.StoredSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's writer thread stopped by an unexpected error (an {@link Error} out of an action,
 * injected here): the store reports the failure, the threads waiting at the write bound are let
 * go instead of hanging, and nothing queued or written afterwards is ever reported durable.
 */
class WriterFailureTest {
  private static final int BOUND = 4;

  @TempDir Path dir;

  @Test
  void anErrorStopsTheWriterReleasesWaitersAndNothingLaterCountsAsDurable() throws Exception {
    StorageSettings settings = StoreDirs.settings(dir, StorageSettings.Sync.ALWAYS, BOUND);
    AtomicBoolean laterActionRan = new AtomicBoolean();
    ExecutorService eventLoop = Executors.newSingleThreadExecutor();
    try (DurableStore store = DurableStore.open(settings)) {
      DiskSessionStore sessions = new DiskSessionStore(store);
      sessions.saveSession("c", session());
      sessions.addMessage("c", 1, delivery("durable"));
      CompletableFuture<Void> durable = new CompletableFuture<>();
      sessions.afterDurable(() -> durable.complete(null));
      durable.get(10, TimeUnit.SECONDS);

      Future<?> blocked;
      try (WriterHold hold = WriterHold.on(sessions, () -> {
        throw new InternalError("injected: the writer's loop broke");
      })) {
        sessions.addMessage("c", 2, delivery("queued before the failure"));
        sessions.afterDurable(() -> laterActionRan.set(true));
        // An event loop writes on until the bound holds it.
        blocked = eventLoop.submit(() -> {
          for (long seq = 3; seq <= 10; seq++) {
            sessions.addMessage("c", seq, delivery("m" + seq));
          }
        });
        await("the event loop waits at the bound", () -> store.writeStalls() > 0);
        assertFalse(blocked.isDone());
        assertNull(store.failure());
      }

      blocked.get(10, TimeUnit.SECONDS); // let go, not left hanging
      assertNotNull(store.failure(), "the store says it failed");
      assertTrue(store.failure().getMessage().contains("injected"));
      assertTrue(store.writesRefused() > 0, "what came after the failure is counted");
      long refused = store.writesRefused();
      sessions.addMessage("c", 11, delivery("after the failure"));
      sessions.afterDurable(() -> laterActionRan.set(true));
      assertEquals(refused + 2, store.writesRefused(), "refused at once, not queued");
      StoreException read = assertThrows(StoreException.class,
          () -> sessions.messages("c", 0, 10), "a read waiting for the writes gives up at once");
      assertTrue(read.getMessage().contains("writer failed"), read.getMessage());
    } finally {
      eventLoop.shutdownNow();
    }
    assertFalse(laterActionRan.get(), "no action after the failure ran: none said durable");

    List<StoredMessage> messages = new ArrayList<>();
    try (DurableStore reopened = DurableStore.open(settings)) {
      new DiskSessionStore(reopened).load(100, s -> { }, messages::add, b -> { });
    }
    assertEquals(List.of(1L), messages.stream().map(StoredMessage::seq).toList(),
        "what was durable before the failure is there, and nothing after it");
  }

  private static StoredSession session() {
    return new StoredSession("c", Map.of(), 3600, null, 0, 0, Set.of());
  }

  private static Delivery delivery(String payload) {
    return new Delivery(new Message("t", payload.getBytes(StandardCharsets.UTF_8), 1, false,
        MqttProperties.NONE, 0, "p"), 1, false, new int[0]);
  }
}
