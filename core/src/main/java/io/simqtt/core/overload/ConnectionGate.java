package io.simqtt.core.overload;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.simqtt.config.ConnectionLimits;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Decides, for each connection a listener accepts, whether it may stay, before its channel is
 * registered with an event loop: a refused one is closed there and then, no byte of it read and
 * nothing of it allocated beyond the socket. Sits in the listener's server channel pipeline, in
 * front of Netty's acceptor, so it runs on the listener's acceptor thread and needs no lock.
 *
 * <p>Checked in this order, the first that fails giving the reason: the heap guard, the cap on
 * open connections, the source address's rate, the listener's rate. The address comes before the
 * listener so that one address flooding spends only its own tokens, not everyone's.
 */
public final class ConnectionGate extends ChannelInboundHandlerAdapter {
  /** Why a connection was refused; the metric label is the lower-case name. */
  public enum Reason {
    HEAP_GUARD,
    MAX_CONNECTIONS,
    ADDRESS_RATE,
    LISTENER_RATE;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Reason[] REASONS = Reason.values();

  private final String listener;
  private final int maxConnections;
  private final HeapGuard heap;
  private final LongSupplier nanoClock;
  private final TokenBucket listenerRate;
  private final AddressRates addressRates;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong admitted = new AtomicLong();
  private final AtomicLongArray rejected = new AtomicLongArray(REASONS.length);
  /** One listener object for every connection's close: nothing allocated per connection. */
  private final ChannelFutureListener onClose = f -> open.decrementAndGet();

  public ConnectionGate(
      String listener, ConnectionLimits limits, HeapGuard heap, LongSupplier nanoClock) {
    this.listener = listener;
    this.maxConnections = limits.maxConnections();
    this.heap = heap;
    this.nanoClock = nanoClock;
    long now = nanoClock.getAsLong();
    this.listenerRate =
        limits.maxConnectionRate() > 0 ? new TokenBucket(limits.maxConnectionRate(), now) : null;
    this.addressRates =
        limits.maxConnectionRatePerAddress() > 0
            ? new AddressRates(limits.maxConnectionRatePerAddress())
            : null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel child = (Channel) msg;
    Reason refused = admit(child);
    if (refused == null) {
      open.incrementAndGet();
      admitted.incrementAndGet();
      child.closeFuture().addListener(onClose);
      ctx.fireChannelRead(child);
    } else {
      rejected.incrementAndGet(refused.ordinal());
      // Not registered with any loop yet: closed here, as Netty's acceptor closes one it fails to
      // register.
      child.unsafe().closeForcibly();
    }
  }

  private Reason admit(Channel child) {
    if (heap.active()) {
      return Reason.HEAP_GUARD;
    }
    if (maxConnections > 0 && open.get() >= maxConnections) {
      return Reason.MAX_CONNECTIONS;
    }
    if (addressRates == null && listenerRate == null) {
      return null;
    }
    long now = nanoClock.getAsLong();
    if (addressRates != null
        && child.remoteAddress() instanceof InetSocketAddress remote
        && !addressRates.tryTake(remote.getAddress(), now)) {
      return Reason.ADDRESS_RATE;
    }
    if (listenerRate != null && !listenerRate.tryTake(now)) {
      return Reason.LISTENER_RATE;
    }
    return null;
  }

  /** The listener's name in metrics and logs ("tcp"). */
  public String listener() {
    return listener;
  }

  /** Connections open on this listener now: admitted and not closed yet. */
  public int openConnections() {
    return open.get();
  }

  /** Connections admitted since the start. */
  public long admitted() {
    return admitted.get();
  }

  /** Connections refused so far for {@code reason}. */
  public long rejected(Reason reason) {
    return rejected.get(reason.ordinal());
  }

  /** Source addresses whose rate was forgotten early because the table was at its bound. */
  public long addressesForgotten() {
    return addressRates == null ? 0 : addressRates.forgotten();
  }
}
