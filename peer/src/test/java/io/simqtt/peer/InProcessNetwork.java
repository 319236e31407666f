package io.simqtt.peer;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.simqtt.config.ClusterSettings.PeerAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The peer links of an in-process cluster: each node's listener is a gRPC in-process server named
 * after the node, and each link's channel passes an interceptor that applies this network's
 * faults to the calls on it. A fault is per direction of travel: {@code from -> to} covers
 * the frames on {@code from}'s stream to {@code to} and the replies on {@code to}'s stream to
 * {@code from}.
 *
 * <ul>
 *   <li>{@link Mode#BLACK_HOLE}: everything in that direction (messages, half-closes, cancels,
 *       closes) vanishes silently and is counted; streams stay open, as behind a frozen process or
 *       a partition. Healing resets the streams that lost something, as a TCP connection that
 *       lost bytes is reset when the network comes back.
 *   <li>{@link Mode#CUT}: open streams are reset at once and new ones are refused.
 * </ul>
 */
final class InProcessNetwork {
  enum Mode {
    PASS,
    BLACK_HOLE,
    CUT
  }

  private record Direction(String from, String to) {}

  private final String name = "net-" + System.identityHashCode(this) + "-";
  private final Map<Direction, Mode> modes = new ConcurrentHashMap<>();
  /** Open streams per dialling direction. */
  private final Map<Direction, Set<FaultyCall<?, ?>>> calls = new ConcurrentHashMap<>();
  private final AtomicLong swallowed = new AtomicLong();

  /** The transport node {@code nodeId} runs on. */
  PeerTransport transport(String nodeId) {
    return new PeerTransport() {
      @Override
      public ServerBuilder<?> server(int maxFrameBytes) {
        return InProcessServerBuilder.forName(name + nodeId).maxInboundMessageSize(maxFrameBytes);
      }

      @Override
      public ManagedChannel channel(PeerAddress peer, int maxFrameBytes) {
        Direction dial = new Direction(nodeId, peer.id());
        return InProcessChannelBuilder.forName(name + peer.id())
            .maxInboundMessageSize(maxFrameBytes)
            .intercept(new ClientInterceptor() {
              @Override
              public <Q, R> ClientCall<Q, R> interceptCall(
                  MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                return new FaultyCall<>(dial, next.newCall(method, options));
              }
            })
            .build();
      }
    };
  }

  /** Messages, closes and cancels that vanished in black holes so far. */
  long swallowed() {
    return swallowed.get();
  }

  /** Black-holes both directions between {@code a} and {@code b}: a partition. */
  void blackHole(String a, String b) {
    blackHoleOneWay(a, b);
    blackHoleOneWay(b, a);
  }

  /** Black-holes what travels from {@code from} to {@code to} only. */
  void blackHoleOneWay(String from, String to) {
    modes.put(new Direction(from, to), Mode.BLACK_HOLE);
  }

  /** Resets every stream between {@code a} and {@code b} and refuses new ones until healed. */
  void cut(String a, String b) {
    modes.put(new Direction(a, b), Mode.CUT);
    modes.put(new Direction(b, a), Mode.CUT);
    resetAll(new Direction(a, b), false);
    resetAll(new Direction(b, a), false);
  }

  /** Both directions between {@code a} and {@code b} pass again; streams that lost something are reset. */
  void heal(String a, String b) {
    modes.remove(new Direction(a, b));
    modes.remove(new Direction(b, a));
    resetAll(new Direction(a, b), true);
    resetAll(new Direction(b, a), true);
  }

  /** Whether what {@code from} sends reaches {@code to} and the answers come back. */
  boolean passes(String from, String to) {
    return mode(from, to) == Mode.PASS && mode(to, from) == Mode.PASS;
  }

  private Mode mode(String from, String to) {
    return modes.getOrDefault(new Direction(from, to), Mode.PASS);
  }

  private void resetAll(Direction dial, boolean onlyDamaged) {
    for (FaultyCall<?, ?> c : calls.getOrDefault(dial, Set.of())) {
      if (!onlyDamaged || c.damaged) {
        c.reset();
      }
    }
  }

  /** One stream, dialled in direction {@code dial}: requests go dial.from -> dial.to. */
  private final class FaultyCall<Q, R> extends SimpleForwardingClientCall<Q, R> {
    private final Direction dial;
    volatile boolean damaged;
    /** The end of the stream, held while its direction is black-holed. */
    private volatile Runnable heldClose;

    FaultyCall(Direction dial, ClientCall<Q, R> delegate) {
      super(delegate);
      this.dial = dial;
    }

    private boolean outLost() {
      return lost(mode(dial.from, dial.to));
    }

    private boolean inLost() {
      return lost(mode(dial.to, dial.from));
    }

    private boolean lost(Mode m) {
      if (m == Mode.PASS) {
        return false;
      }
      damaged = true;
      swallowed.incrementAndGet();
      return true;
    }

    @Override
    public void start(Listener<R> listener, Metadata headers) {
      calls.computeIfAbsent(dial, d -> ConcurrentHashMap.newKeySet()).add(this);
      super.start(new SimpleForwardingClientCallListener<>(listener) {
        @Override
        public void onMessage(R message) {
          if (!inLost()) {
            super.onMessage(message);
          }
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          if (mode(dial.to, dial.from) != Mode.BLACK_HOLE) {
            calls.getOrDefault(dial, Set.of()).remove(FaultyCall.this);
            super.onClose(status, trailers);
          } else {
            damaged = true;
            swallowed.incrementAndGet();
            heldClose = () -> super.onClose(Status.UNAVAILABLE.withDescription(
                "connection reset by " + InProcessNetwork.class.getSimpleName()), new Metadata());
          }
        }
      }, headers);
      if (mode(dial.from, dial.to) == Mode.CUT || mode(dial.to, dial.from) == Mode.CUT) {
        reset();
      }
    }

    @Override
    public void sendMessage(Q message) {
      if (!outLost()) {
        super.sendMessage(message);
      }
    }

    @Override
    public void halfClose() {
      if (!outLost()) {
        super.halfClose();
      }
    }

    @Override
    public void cancel(String message, Throwable cause) {
      if (mode(dial.from, dial.to) != Mode.BLACK_HOLE) {
        super.cancel(message, cause);
      } else {
        damaged = true;
        swallowed.incrementAndGet();
      }
    }

    /** Ends the stream on both ends, as a connection reset does. */
    void reset() {
      Runnable close = heldClose;
      if (close != null) {
        heldClose = null;
        calls.getOrDefault(dial, Set.of()).remove(this);
        close.run();
      } else {
        delegate().cancel("connection reset by " + InProcessNetwork.class.getSimpleName(), null);
      }
    }
  }
}
