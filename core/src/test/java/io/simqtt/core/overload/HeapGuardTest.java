package io.simqtt.core.overload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.config.HeapGuardSettings;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The guard's decisions, fed figures by hand as the JVM's collections would. */
class HeapGuardTest {
  private static final long MAX = 1000;

  @Test
  void onAboveTheHighMarkOffOnlyBelowTheLowOne() {
    HeapGuard guard = new HeapGuard(new HeapGuardSettings(true, 0.9, 0.8), System::nanoTime);
    AtomicInteger changes = new AtomicInteger();
    guard.onChange(changes::incrementAndGet);

    assertFalse(guard.afterCollection(900, MAX), "at the mark is not over it");
    assertTrue(guard.afterCollection(901, MAX));
    assertTrue(guard.active());
    assertTrue(guard.afterCollection(950, MAX));
    assertTrue(guard.afterCollection(850, MAX), "between the marks: stays on");
    assertTrue(guard.afterCollection(800, MAX), "at the low mark is not under it");
    assertFalse(guard.afterCollection(799, MAX));
    assertFalse(guard.afterCollection(850, MAX), "between the marks: stays off");
    assertEquals(1, guard.episodes());
    assertEquals(2, changes.get(), "listeners told once on, once off");

    assertTrue(guard.afterCollection(999, MAX));
    assertEquals(2, guard.episodes());
    assertEquals(3, changes.get());
  }

  @Test
  void aDisabledGuardNeverTurnsOn() {
    HeapGuard guard = HeapGuard.off();
    assertFalse(guard.afterCollection(MAX, MAX));
    assertFalse(guard.active());
    assertEquals(0, guard.episodes());
  }

  @Test
  void anUnknownMaximumDecidesNothing() {
    HeapGuard guard = new HeapGuard(HeapGuardSettings.DEFAULT, System::nanoTime);
    assertFalse(guard.afterCollection(MAX, 0));
  }
}
