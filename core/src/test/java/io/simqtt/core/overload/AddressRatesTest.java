package io.simqtt.core.overload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

/** Per-address rates in a bounded table, on a clock moved by hand. */
class AddressRatesTest {
  private static final long MS = 1_000_000L;

  private static InetAddress address(int i) {
    try {
      return InetAddress.getByAddress(
          new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void eachAddressHasARateOfItsOwn() {
    AddressRates rates = new AddressRates(2);
    assertTrue(rates.tryTake(address(1), 0));
    assertTrue(rates.tryTake(address(1), 0));
    assertFalse(rates.tryTake(address(1), 0), "address 1 used its second's worth");
    assertTrue(rates.tryTake(address(2), 0), "address 2 is not held back by address 1");
    assertTrue(rates.tryTake(address(1), 500 * MS), "and address 1 gets the next at its rate");
  }

  @Test
  void addressesWhoseBucketsAreFullAgainAreDroppedWithoutCounting() {
    AddressRates rates = new AddressRates(10, 3);
    for (int i = 0; i < 3; i++) {
      assertTrue(rates.tryTake(address(i), 0));
    }
    // A second later every bucket is full: dropping them forgets nothing.
    for (int i = 3; i < 6; i++) {
      assertTrue(rates.tryTake(address(i), 1000 * MS));
    }
    assertEquals(3, rates.size());
    assertEquals(0, rates.forgotten());
  }

  @Test
  void atTheBoundTheLeastRecentlySeenBucketInUseIsForgottenAndCounted() {
    AddressRates rates = new AddressRates(1, 3);
    for (int i = 0; i < 3; i++) {
      assertTrue(rates.tryTake(address(i), 0));
    }
    assertFalse(rates.tryTake(address(0), 1), "address 0 seen again: now the most recent");
    assertTrue(rates.tryTake(address(3), 2), "a fourth address makes room");
    assertEquals(3, rates.size());
    assertEquals(1, rates.forgotten(), "address 1, the least recently seen, was forgotten");
    assertTrue(rates.tryTake(address(1), 3), "and starts afresh");
    assertFalse(rates.tryTake(address(0), 4), "address 0 was remembered: still held back");
    assertEquals(2, rates.forgotten());
  }

  @Test
  void theTableNeverHoldsMoreThanItsBound() {
    AddressRates rates = new AddressRates(1, 100);
    for (int i = 0; i < 10_000; i++) {
      rates.tryTake(address(i), i);
      assertTrue(rates.size() <= 100);
    }
    assertEquals(10_000 - 100, rates.forgotten());
  }
}
