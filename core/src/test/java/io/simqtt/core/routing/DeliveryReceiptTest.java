package io.simqtt.core.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.simqtt.core.session.WriteHold;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** What a receipt runs as its last count goes, in which order. */
class DeliveryReceiptTest {
  private final List<String> ran = new ArrayList<>();

  @Test
  void withoutAHoldTheLastWriteStillRunsBeforeWhenTaken() {
    DeliveryReceipt r = new DeliveryReceipt(stored -> ran.add("taken " + stored), null,
        () -> ran.add("last"));
    r.expect();
    r.taken(true);
    r.routed();
    assertEquals(List.of("last", "taken true"), ran);
  }

  @Test
  void aLoopThatRefusesTheLastStepGetsTheHoldReleasedAndTheCounterNoException() {
    WriteHold hold = () -> ran.add("release");
    Executor shutDown = task -> {
      throw new RejectedExecutionException("event loop shut down");
    };
    DeliveryReceipt r = new DeliveryReceipt(stored -> ran.add("taken " + stored), hold, shutDown,
        () -> ran.add("last"));
    r.expect();
    r.routed();
    r.taken(true);
    assertEquals(List.of("release"), ran);
  }

  @Test
  void withAHoldTheLastWriteRunsBeforeTheRelease() {
    WriteHold hold = () -> ran.add("release");
    DeliveryReceipt r = new DeliveryReceipt(stored -> ran.add("taken " + stored), hold,
        () -> ran.add("last"));
    r.routed();
    assertEquals(List.of("last", "release", "taken false"), ran);
  }
}
