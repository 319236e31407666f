package io.simqtt.core.server;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;

/**
 * How much to read from a socket at a time, guessed once for all the connections of one event
 * loop. Netty keeps the guess (an adaptive handle with its sizing state, 112 bytes) per channel,
 * which is 7% of what an idle connection holds (docs/BENCHMARKS.md, "Memory per idle
 * connection"). One handle can serve every channel of a loop because a loop reads one channel at a
 * time from start to end: it resets the handle, reads, completes, and only then turns to the next
 * channel; nothing in between reads another channel (a handler's write, flush or close does not).
 * The guess then follows the loop's recent reads rather than one connection's, which costs at most
 * a few extra reads when a large message follows small ones. The handle keeps the config of the
 * channel it last served until the loop's next read.
 *
 * <p>Confined to its loop: install it only on channels registered with that loop.
 */
final class LoopReadSizing implements RecvByteBufAllocator {
  private final Handle handle = new AdaptiveRecvByteBufAllocator().newHandle();

  @Override
  public Handle newHandle() {
    return handle;
  }
}
