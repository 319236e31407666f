package io.simqtt.core.overload;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * New connections per second per source address: a {@link TokenBucket} per address, for at most
 * {@link #MAX_ADDRESSES} addresses. Least recently seen first: a full bucket is the same as none,
 * so those are dropped freely; when the table is at its bound with buckets still in use, the
 * least recently seen of them is forgotten anyway (counted), and that address starts afresh with
 * a full bucket. Confined to the listener's acceptor thread.
 */
final class AddressRates {
  /** About 100 bytes each (entry, key, bucket): 10 MB at most. */
  static final int MAX_ADDRESSES = 100_000;

  private final int ratePerSecond;
  private final int maxAddresses;
  private final LinkedHashMap<InetAddress, TokenBucket> buckets =
      new LinkedHashMap<>(16, 0.75f, true);
  /** Written by the acceptor only, read by metrics scrapes. */
  private volatile long forgotten;

  AddressRates(int ratePerSecond) {
    this(ratePerSecond, MAX_ADDRESSES);
  }

  AddressRates(int ratePerSecond, int maxAddresses) {
    this.ratePerSecond = ratePerSecond;
    this.maxAddresses = maxAddresses;
  }

  /** Whether {@code address} may open one more connection at {@code now}. */
  boolean tryTake(InetAddress address, long now) {
    TokenBucket bucket = buckets.get(address);
    if (bucket == null) {
      makeRoom(now);
      bucket = new TokenBucket(ratePerSecond, now);
      buckets.put(address, bucket);
    }
    return bucket.tryTake(now);
  }

  /**
   * Drops full buckets from the least recently seen end, and buckets in use while at the bound.
   * Each entry is dropped at most once, so this costs O(1) per new address on average.
   */
  private void makeRoom(long now) {
    Iterator<TokenBucket> eldest = buckets.values().iterator();
    while (eldest.hasNext()) {
      TokenBucket b = eldest.next();
      if (b.isFull(now)) {
        eldest.remove();
      } else if (buckets.size() >= maxAddresses) {
        eldest.remove();
        forgotten++;
      } else {
        break;
      }
    }
  }

  /** Addresses forgotten while their bucket was still in use. */
  long forgotten() {
    return forgotten;
  }

  int size() {
    return buckets.size();
  }
}
