package io.simqtt.peer;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.simqtt.config.ClusterSettings;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ForwardJournal;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.Forward;
import io.simqtt.proto.peer.ForwardBatch;
import io.simqtt.proto.peer.Goodbye;
import io.simqtt.proto.peer.Heartbeat;
import io.simqtt.proto.peer.HelloAccepted;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.PeerReply;
import io.simqtt.proto.peer.PeerServiceGrpc;
import io.simqtt.proto.peer.Redirect;
import io.simqtt.proto.peer.SharedReturn;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's stream to one peer: it dials, answers the peer's challenge with Hello, sends its
 * events and reconnects with capped backoff. All state is confined to one thread of its own, so
 * frames go out in the order they were handed in and the stream observer (not thread-safe) is
 * only touched there.
 *
 * <p>QoS 1/2 forwards (and redirects) are numbered and kept until the peer acknowledges them, and
 * re-sent in order after a reconnect; the peer drops the numbers it has already seen. QoS 0
 * forwards are sent when the link is up and dropped (and counted) otherwise. In durable mode the
 * kept forwards are written to the node's {@link ForwardJournal} too, and a publisher's receipt
 * waits for that write: a kill of this node does not lose what it acknowledged, and the next
 * start sends them again, each under the incarnation of this node that numbered it (kept in the
 * journal with it: the peer may have taken it before), numbering on from where the journal left
 * off.
 *
 * <p>What the link holds is bounded in bytes ({@code cluster.max-link-backlog}) and count ({@link
 * #MAX_UNACKED}). Over either, a QoS 1/2 forward is still taken (it was accepted from its
 * publisher) but the link reports {@link Backpressure} and the publisher stops being read until
 * the link is back under half of both, or until the peer's routes are withdrawn after it stayed
 * down (then no more forwards come for it); QoS 0 is dropped. So a PUBACKed message is never
 * dropped for want of room, and the bound is exceeded by at most the messages publishers had in
 * flight when they were stopped.
 *
 * <p>Control frames (route updates, retained writes, claims) waiting for the peer's flow control
 * are bounded by the same budget, in bytes: past it the link starts over rather than hold more
 * or drop one (counted in {@link #resyncs}); a link coming up sends full route and retained
 * snapshots, the retained one made frame by frame as the stream takes them.
 *
 * <p>A heartbeat goes out every keep-alive interval and the peer answers it; a peer heard from
 * neither within the interval plus the keep-alive timeout (frozen, partitioned, gone without a
 * reset) is treated as down: the stream is cancelled and redialled. gRPC's own keepalive cannot
 * do this in seconds: it refuses intervals under 10 s.
 */
final class OutboundLink implements Backpressure {
  private static final Logger LOG = LoggerFactory.getLogger(OutboundLink.class);
  /** Forwards held for one peer (queued or unacknowledged) before the link is over budget. */
  static final int MAX_UNACKED = 100_000;
  /** Frames waiting for gRPC flow control; beyond this QoS 0 forwards are dropped. */
  static final int MAX_PENDING = 10_000;
  /** Frames kept for the link's return (claim answers); beyond this they are dropped. */
  static final int MAX_DEFERRED = 10_000;
  /** Per forward, on top of payload and topic: the envelope, properties, bookkeeping. */
  private static final int FORWARD_OVERHEAD = 96;
  /** A batch of forwards goes out at this many messages or bytes of payload and topic. */
  private static final int MAX_BATCH = 256;
  private static final int MAX_BATCH_BYTES = 64 * 1024;
  private static final long MIN_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  /** Replies received and not yet handled by the link's thread, at most (see {@link #connect}). */
  private static final int REPLY_WINDOW = 64;
  /** How long stopping waits for the Goodbye and the stream's end to leave. */
  private static final long STOP_WAIT_MILLIS = 1_000;
  private static final PeerFrame HEARTBEAT =
      PeerFrame.newBuilder().setHeartbeat(Heartbeat.getDefaultInstance()).build();
  private static final PeerFrame GOODBYE =
      PeerFrame.newBuilder().setGoodbye(Goodbye.getDefaultInstance()).build();

  enum State {
    CONNECTING,
    UP,
    DOWN
  }

  /** What the link tells the rest of the node. Called on the link's thread. */
  interface Listener {
    /** The link is up: frames sent now ({@link #sendOnLinkThread}) go before any other. */
    void linkUp(OutboundLink link);

    void linkDown(String peerId);

    void claimReply(String peerId, ClaimReply reply);

    /** The peer has no member left of the shared groups it was chosen for. */
    void sharedReturned(String peerId, SharedReturn returned);
  }

  private final PeerAddress peer;
  private final Handshake handshake;
  private final Listener listener;
  private final ManagedChannel channel;
  private final PeerServiceGrpc.PeerServiceStub stub;
  private final ExecutorService executor;
  private final Scheduler timer;
  private final long silenceNanos;
  private final long beatMillis;
  private final long budgetBytes;
  private final ForwardJournal journal;
  /** Bytes and count of the forwards this link holds, from hand-off until sent (QoS 0) or acked. */
  private final AtomicLong heldBytes = new AtomicLong();
  private final AtomicInteger heldCount = new AtomicInteger();
  private volatile boolean overBudget;
  /** Publishers waiting for {@link #overBudget} to clear. */
  private final ConcurrentLinkedQueue<Runnable> relieved = new ConcurrentLinkedQueue<>();

  final LongAdder forwardsSent = new LongAdder();
  final LongAdder forwardsResent = new LongAdder();
  final LongAdder forwardsDroppedLinkDown = new LongAdder();
  final LongAdder forwardsDroppedQueueFull = new LongAdder();
  final LongAdder forwardsDroppedPeerRestarted = new LongAdder();
  final LongAdder controlDropped = new LongAdder();
  /** Times the link was restarted because control frames waiting for the peer were over budget. */
  final LongAdder resyncs = new LongAdder();

  private volatile State state = State.DOWN;
  /** Since when the link has not been up (from the start until it first comes up). */
  private volatile long downSinceNanos;
  /** When the link last came up: what the peer re-sends after a return comes after it. */
  private volatile long upSinceNanos;
  /** The peer said Goodbye; cleared when the link comes up again. */
  private volatile boolean peerLeft;
  // Confined to executor:
  private ClientCallStreamObserver<PeerFrame> out;
  private final ArrayDeque<PeerFrame> pending = new ArrayDeque<>();
  /**
   * Serialized bytes of the frames in {@link #pending} other than forwards (which the budget
   * bounds as they are handed in): routes, retained writes, claims.
   */
  private long pendingControlBytes;
  /**
   * Frames made only as the stream takes them (the retained sync at link-up), after {@link
   * #pending}: a large retained set is never copied into frames all at once.
   */
  private final ArrayDeque<Iterator<PeerFrame>> lazy = new ArrayDeque<>();
  /** Frames that must reach the peer even if the link is down now; sent as it comes up. */
  private final ArrayDeque<PeerFrame> deferred = new ArrayDeque<>();
  /** The peer's incarnation at the last link-up; 0 before the first. */
  private long peerIncarnation;
  private final TreeMap<Long, Forward> unacked = new TreeMap<>();
  /**
   * Per earlier incarnation of this node: journal deletes of its forwards not yet durable. Such
   * an incarnation is still named in each Hello (see {@link #earlierResent}).
   */
  private final Map<Long, Integer> earlierUnjournaling = new HashMap<>();
  private final List<Forward> batch = new ArrayList<>();
  private int batchBytes;
  private boolean flushScheduled;
  private long nextSeq = 1;
  private int attempt;
  /** Identifies the current stream; callbacks of an older one are ignored. */
  private long generation;
  private boolean stopped;
  /** What our Hello asked the peer to prove the secret over. */
  private byte[] challenge;
  private long lastHeardNanos;
  private Scheduler.Cancellable watchdog;
  /** When the last keep-alive round fell due, and when a heartbeat was last answered. */
  private volatile long beatDueNanos;
  private volatile long beatAnsweredNanos;

  OutboundLink(
      PeerAddress peer,
      ManagedChannel channel,
      Handshake handshake,
      Listener listener,
      Scheduler timer,
      ClusterSettings.Timing timing,
      long budgetBytes,
      ForwardJournal journal) {
    this.peer = peer;
    this.budgetBytes = budgetBytes;
    this.journal = journal;
    this.handshake = handshake;
    this.listener = listener;
    this.timer = timer;
    this.downSinceNanos = timer.nanoTime();
    this.beatMillis = timing.keepAliveInterval().toMillis();
    this.silenceNanos = timing.keepAliveInterval().plus(timing.keepAliveTimeout()).toNanos();
    this.channel = channel;
    this.stub = PeerServiceGrpc.newStub(channel);
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "simqtt-peer-" + peer.id());
              t.setDaemon(true);
              return t;
            });
  }

  String peerId() {
    return peer.id();
  }

  State state() {
    return state;
  }

  /** When the link last came up ({@link Scheduler#nanoTime}); read while it is up. */
  long upSinceNanos() {
    return upSinceNanos;
  }

  /**
   * Whether the peer is down but not yet declared dead: it may be alive (frozen, partitioned)
   * and hold sessions nobody else can vouch for.
   */
  boolean isSuspect(long deadAfterNanos) {
    return state != State.UP && !peerLeft && timer.nanoTime() - downSinceNanos < deadAfterNanos;
  }

  /**
   * The peer's stream into this node was closed as silent. If this stream has gone a keep-alive
   * round unanswered too, the peer is gone (frozen, or cut off both ways, as any cut silences
   * both streams): it is given up now rather than at this link's next check, up to a round
   * later, so claims stop asking it as soon as either side knows.
   */
  void peerSilent() {
    onLinkThread(
        () -> {
          long silent = timer.nanoTime() - lastHeardNanos;
          if (state == State.UP && silent > TimeUnit.MILLISECONDS.toNanos(beatMillis)) {
            fail(generation, "its stream into this node went silent, and no answer here for "
                + TimeUnit.NANOSECONDS.toMillis(silent) + " ms");
          }
        });
  }

  /** The peer said it is stopping: until it is back, it holds nothing to wait for. */
  void peerLeft() {
    peerLeft = true;
  }

  /**
   * Takes back forward {@code seq} that the journal held when the node stopped; before {@link
   * #start}. It is sent first once the link is up.
   *
   * @throws InvalidProtocolBufferException when the journal's bytes are not a forward
   */
  void restore(long seq, byte[] forward) throws InvalidProtocolBufferException {
    Forward f = Forward.parseFrom(forward);
    unacked.put(seq, f);
    nextSeq = Math.max(nextSeq, seq + 1);
    heldBytes.addAndGet(size(f.getMessage()));
    heldCount.incrementAndGet();
  }

  void start() {
    executor.execute(this::connect);
  }

  /**
   * Says Goodbye (the peer then knows this node's sessions end with it), ends the stream and
   * waits a moment for both to leave before the channel is closed. The link still takes
   * forwards until {@link #close}: QoS 1/2 ones are kept (in the journal, in durable mode) for
   * the next start, as while the link is down. A peer's frame this node takes meanwhile may
   * redirect to this peer, and is acknowledged once that is kept: refused, it would be lost.
   */
  void stop() {
    try {
      executor
          .submit(
              () -> {
                if (state == State.UP) {
                  send(GOODBYE);
                }
                stopped = true;
                cancelWatchdog();
                if (out != null) {
                  out.onCompleted();
                }
              })
          .get(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      channel.shutdown();
      if (!channel.awaitTermination(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      channel.shutdownNow();
    }
  }

  /**
   * After {@link #stop}, once no peer's frame can arrive any more: the link takes nothing from
   * now on (a forward handed over is refused, see {@link #handOff}), and what it took before is
   * queued to the journal when this returns.
   */
  void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(STOP_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sends a message to the peer (see the class comment for what is kept and re-sent). Returns
   * whether the link is over its budget now: the publisher should wait for {@link #whenRelieved}.
   */
  boolean forward(
      AppMessage message,
      boolean direct,
      List<String> shared,
      int hops,
      DeliveryReceipt receipt) {
    boolean full = isFull();
    handOff(
        message.getQos(),
        size(message),
        () ->
            Forward.newBuilder()
                .setMessage(message)
                .setDirect(direct)
                .addAllShared(shared)
                .setSharedHops(hops),
        receipt,
        full);
    return pressed(message.getQos(), full);
  }

  /**
   * Sends a delivery for a session that moved from this node to the peer, naming the session's
   * {@code lineage} (0: unknown); kept (and counted on {@code receipt}) like a forward. False
   * when the link is closed: the node is stopping, and the delivery is not kept (counted on
   * {@code receipt} as {@link DeliveryReceipt#lost}, if any).
   */
  boolean redirect(
      String clientId,
      DeliveryState delivery,
      int hops,
      long lineage,
      DeliveryReceipt receipt) {
    boolean full = isFull();
    boolean taken = handOff(
        delivery.getQos(),
        size(delivery.getMessage()),
        () ->
            Forward.newBuilder()
                .setMessage(delivery.getMessage())
                .setRedirect(
                    Redirect.newBuilder()
                        .setClientId(clientId)
                        .setDelivery(delivery.toBuilder().clearMessage())
                        .setHops(hops)
                        .setSessionLineage(lineage)),
        receipt,
        full);
    pressed(delivery.getQos(), full);
    return taken;
  }

  private interface ForwardBody {
    Forward.Builder build();
  }

  private static int size(AppMessage m) {
    return m.getPayload().size() + m.getTopic().length() + FORWARD_OVERHEAD;
  }

  /**
   * Takes a forward for the link's thread, within the budget (see the class comment). Counted
   * from here, so a burst from the event loops cannot outrun the bound before the link's thread
   * sees it. A QoS 1/2 forward written to a durable journal counts on {@code receipt} (if any)
   * until its write is queued, so the publisher's acknowledgement waits for that write. Returns
   * false only when the link is closed ({@link #close}): then nothing is kept, and a receipt
   * counting a QoS 1/2 forward is told it was {@link DeliveryReceipt#lost}.
   *
   * @param full whether the link was over its budget before this forward
   */
  private boolean handOff(
      int qos, int bytes, ForwardBody body, DeliveryReceipt receipt, boolean full) {
    if (full && qos == 0) {
      (state == State.UP ? forwardsDroppedQueueFull : forwardsDroppedLinkDown).increment();
      return true;
    }
    heldBytes.addAndGet(bytes);
    heldCount.incrementAndGet();
    boolean journaled = qos > 0 && journal.isDurable();
    DeliveryReceipt counted = journaled ? receipt : null;
    if (counted != null) {
      counted.expect();
    }
    boolean taken = onLinkThread(
        () -> {
          Forward.Builder numbered = body.build().setSeq(nextSeq++);
          if (journaled) {
            // Kept in the journal with it: sent again after a restart, it is still this
            // incarnation's forward to the peer, which may have taken it already.
            numbered.setIncarnation(handshake.incarnation());
          }
          Forward f = numbered.build();
          if (qos > 0) {
            unacked.put(f.getSeq(), f);
            if (journaled) {
              journal.holdUnder(peer.id(), f.getSeq(), f.toByteArray(),
                  counted == null ? null : counted.hold());
            }
          }
          if (counted != null) {
            counted.taken(true);
          }
          if (state == State.UP) {
            if (qos == 0 && pending.size() >= MAX_PENDING) {
              forwardsDroppedQueueFull.increment();
              release(bytes, 1);
              return;
            }
            forwardsSent.increment();
            batch(f);
          } else if (qos == 0) {
            forwardsDroppedLinkDown.increment();
            release(bytes, 1);
          }
        });
    if (!taken && qos > 0 && receipt != null) {
      // The node is stopping: nothing is kept, so what was passed on stays, and a peer's frame
      // is not acknowledged (see InboundLink#onForwards).
      if (counted == null) {
        receipt.expect();
      }
      receipt.lost();
    }
    return taken;
  }

  private boolean isFull() {
    return heldBytes.get() >= budgetBytes || heldCount.get() >= MAX_UNACKED;
  }

  /**
   * Whether the link is over its budget after a forward of {@code qos} was handed over ({@code
   * full}: it was before): the publisher should wait for {@link #whenRelieved}.
   */
  private boolean pressed(int qos, boolean full) {
    if (qos > 0 && (full || heldBytes.get() > budgetBytes || heldCount.get() > MAX_UNACKED)) {
      overBudget = true;
      return true;
    }
    return false;
  }

  @Override
  public void whenRelieved(Runnable resume) {
    relieved.add(resume);
    // Checked again here: the link may have emptied between the publisher's hand-off and now,
    // with nobody left to wake it.
    if (!overBudget || underHalf(heldBytes.get(), heldCount.get())) {
      overBudget = false;
      runRelieved();
    }
  }

  private boolean underHalf(long bytes, int count) {
    return bytes <= budgetBytes / 2 && count <= MAX_UNACKED / 2;
  }

  /**
   * The peer stayed down and its routes are withdrawn: nothing more is forwarded to it, so the
   * publishers waiting for room go on. What the link holds stays for the peer's return.
   */
  void stopHoldingPublishers() {
    overBudget = false;
    runRelieved();
  }

  /** Forwards no longer held (sent QoS 0, acknowledged, dropped); may relieve publishers. */
  private void release(long bytes, int count) {
    long leftBytes = heldBytes.addAndGet(-bytes);
    int leftCount = heldCount.addAndGet(-count);
    if (overBudget && underHalf(leftBytes, leftCount)) {
      overBudget = false;
      runRelieved();
    }
  }

  private void runRelieved() {
    Runnable r;
    while ((r = relieved.poll()) != null) {
      r.run();
    }
  }

  /**
   * Adds a forward to the batch being built. The batch goes out when it is full or when the
   * link's thread has run the tasks queued behind this one, so a burst travels in few frames
   * and a lone message waits for nothing. A frame holds forwards of one incarnation of this node
   * (the peer records and acknowledges them per incarnation): forwards of an earlier run, re-sent
   * from the journal, travel in frames of their own.
   */
  private void batch(Forward f) {
    if (!batch.isEmpty() && numberedBy(batch.get(0)) != numberedBy(f)) {
      flushBatch();
    }
    batch.add(f);
    batchBytes += f.getMessage().getPayload().size() + f.getMessage().getTopic().length();
    if (batch.size() >= MAX_BATCH || batchBytes >= MAX_BATCH_BYTES) {
      flushBatch();
    } else if (!flushScheduled) {
      flushScheduled = true;
      onLinkThread(this::flushBatch);
    }
  }

  private void flushBatch() {
    flushScheduled = false;
    if (batch.isEmpty()) {
      return;
    }
    if (state == State.UP) {
      ForwardBatch forwards = ForwardBatch.newBuilder().addAllForwards(batch).build();
      send(PeerFrame.newBuilder().setForwards(forwards).build());
    }
    // QoS 0 is done with once sent (or lost with the stream); QoS 1/2 waits for its ack.
    long bytes = 0;
    int count = 0;
    for (Forward f : batch) {
      if (f.getMessage().getQos() == 0) {
        bytes += size(f.getMessage());
        count++;
      }
    }
    if (count > 0) {
      release(bytes, count);
    }
    batch.clear();
    batchBytes = 0;
  }

  /**
   * Sends a control frame (routes, retained, claims) if the link is up; a link coming up sends
   * full snapshots, so nothing is lost by dropping these while it is down. Forwards batched
   * before it go first.
   */
  void sendControl(PeerFrame frame) {
    onLinkThread(
        () -> {
          flushBatch();
          if (state != State.UP) {
            return;
          }
          if (pendingControlBytes > budgetBytes) {
            // The peer takes frames slower than they come: rather than hold them without bound
            // (or drop one and let routes or retained messages drift apart), start the link
            // over; it comes up with full snapshots, and forwards it has not acked go again.
            resyncs.increment();
            fail(generation, "control frames waiting over cluster.max-link-backlog");
            return;
          }
          send(frame);
        });
  }

  /**
   * Sends a frame that must reach the peer even across an outage (an answer about a session):
   * now if the link is up, else when it comes up. Bounded; beyond it dropped and counted.
   */
  void sendWhenUp(PeerFrame frame) {
    onLinkThread(
        () -> {
          flushBatch();
          if (state == State.UP) {
            send(frame);
          } else if (deferred.size() < MAX_DEFERRED) {
            deferred.add(frame);
          } else {
            controlDropped.increment();
          }
        });
  }

  /** Sends now; only from this link's own thread (the link-up callback). */
  void sendOnLinkThread(PeerFrame frame) {
    send(frame);
  }

  /**
   * Sends the frames of {@code frames} after everything queued, each made only when the stream
   * takes it; only from this link's own thread (the link-up callback).
   */
  void sendLazilyOnLinkThread(Iterator<PeerFrame> frames) {
    if (out != null && frames.hasNext()) {
      lazy.add(frames);
      pump(generation);
    }
  }

  /**
   * Whether the heartbeat of the last keep-alive round (if any since the link came up) was
   * answered: a test moving time by hand waits for this before moving it further, as real time
   * would not outrun a healthy peer's answer.
   */
  boolean heartbeatAnswered() {
    return beatAnsweredNanos >= beatDueNanos;
  }

  /** Unacknowledged forwards, for status. */
  int unackedCount() {
    return unacked.size();
  }

  private void connect() {
    if (stopped) {
      return;
    }
    state = State.CONNECTING;
    long g = ++generation;
    // This link paces its own redials (capped at MAX_BACKOFF_MILLIS, and at once when the peer
    // dials us): gRPC's channel has a backoff of its own, growing to two minutes while the peer
    // is down, during which every call fails at once; a restarted peer would not be reached
    // until it ran out.
    channel.resetConnectBackoff();
    ClientResponseObserver<PeerFrame, PeerReply> responses =
        new ClientResponseObserver<>() {
          private ClientCallStreamObserver<PeerFrame> call;

          @Override
          public void beforeStart(ClientCallStreamObserver<PeerFrame> requests) {
            call = requests;
            requests.setOnReadyHandler(() -> onLinkThread(() -> pump(g)));
            // Replies are asked for as the link's thread handles them, so at most this many
            // wait for it; past them gRPC stops reading and the peer's stream stops being ready
            // (a large session's pages, stored as they come, pace its holder this way).
            requests.disableAutoRequestWithInitial(REPLY_WINDOW);
          }

          @Override
          public void onNext(PeerReply reply) {
            onLinkThread(() -> {
              onReply(g, reply);
              call.request(1);
            });
          }

          @Override
          public void onError(Throwable t) {
            onLinkThread(() -> onClosed(g, t));
          }

          @Override
          public void onCompleted() {
            onLinkThread(() -> onClosed(g, null));
          }
        };
    try {
      out = (ClientCallStreamObserver<PeerFrame>) stub.link(responses);
    } catch (RuntimeException e) {
      onClosed(g, e);
      return;
    }
    // The peer answers with its challenge; one that never does (a frozen process whose kernel
    // still completes TCP handshakes) is given up on like a silent one.
    lastHeardNanos = timer.nanoTime();
    watchdog =
        timer.scheduleRepeating(
            () -> {
              beatDueNanos = timer.nanoTime();
              onLinkThread(() -> watch(g));
            },
            beatMillis,
            TimeUnit.MILLISECONDS);
  }

  private void onReply(long g, PeerReply reply) {
    if (g != generation) {
      return;
    }
    lastHeardNanos = timer.nanoTime();
    switch (reply.getBodyCase()) {
      case CHALLENGE -> {
        challenge = Handshake.newChallenge();
        long resendThrough = unacked.isEmpty() ? 0 : unacked.lastKey();
        send(
            PeerFrame.newBuilder()
                .setHello(
                    handshake.hello(
                        peer.id(), reply.getChallenge().getNonce(), challenge, resendThrough,
                        earlierResent()))
                .build());
      }
      case HELLO_ACCEPTED -> {
        if (challenge != null && handshake.verifyAccepted(reply.getHelloAccepted(), challenge)) {
          noteIncarnation(reply.getHelloAccepted());
          linkUp();
        } else {
          fail(g, "the peer's answer to our Hello does not prove the cluster secret");
        }
      }
      case FORWARD_ACK ->
          onAck(reply.getForwardAck().getSeq(), reply.getForwardAck().getIncarnation());
      case CLAIM_REPLY -> listener.claimReply(peer.id(), reply.getClaimReply());
      case SHARED_RETURN -> listener.sharedReturned(peer.id(), reply.getSharedReturn());
      case HEARTBEAT -> beatAnsweredNanos = lastHeardNanos;
      default -> LOG.debug("peer {}: unexpected reply {}", peer.id(), reply.getBodyCase());
    }
  }

  /**
   * Every forward numbered up to {@code seq} by this node's {@code incarnation} (0: by any, from
   * a peer that does not tell them apart) arrived: it is no longer held.
   */
  private void onAck(long seq, long incarnation) {
    List<Forward> done = new ArrayList<>();
    long bytes = 0;
    for (Iterator<Forward> it = unacked.headMap(seq, true).values().iterator(); it.hasNext(); ) {
      Forward f = it.next();
      if (incarnation == 0 || numberedBy(f) == incarnation) {
        done.add(f);
        bytes += size(f.getMessage());
        it.remove();
      }
    }
    if (!done.isEmpty()) {
      unjournal(done);
      release(bytes, done.size());
    }
  }

  /**
   * Deletes {@code done} from the journal. An earlier incarnation among them stays named in each
   * Hello until those deletes are durable: a kill before then brings them back from the journal
   * and the next start re-sends them, so the peer must still know which of them it took.
   */
  private void unjournal(Collection<Forward> done) {
    List<Long> seqs = new ArrayList<>(done.size());
    // Made only for forwards of an earlier incarnation, rare beside every acknowledgement.
    Set<Long> earlier = null;
    for (Forward f : done) {
      seqs.add(f.getSeq());
      if (numberedBy(f) != handshake.incarnation()) {
        if (earlier == null) {
          earlier = new HashSet<>(2);
        }
        earlier.add(f.getIncarnation());
      }
    }
    journal.release(peer.id(), seqs);
    if (earlier == null) {
      return;
    }
    Set<Long> incarnations = earlier;
    incarnations.forEach(i -> earlierUnjournaling.merge(i, 1, Integer::sum));
    journal.afterDurable(() -> onLinkThread(() -> incarnations.forEach(
        i -> earlierUnjournaling.computeIfPresent(i, (k, n) -> n == 1 ? null : n - 1))));
  }

  /** The incarnation of this node that numbered {@code f}. */
  private long numberedBy(Forward f) {
    return f.getIncarnation() == 0 ? handshake.incarnation() : f.getIncarnation();
  }

  /**
   * The earlier incarnations of this node whose forwards (back from the journal) are re-sent
   * first on a new stream, each with the highest number re-sent of it: the peer keeps what it
   * took of those. Named too, with 0 (nothing of it to wait for on this stream), is each one
   * whose forwards were all acknowledged but whose journal deletes are not durable yet: the peer
   * forgets an incarnation at the first Hello that does not name it, and a kill before those
   * deletes are durable would have the next start re-send them.
   */
  private Map<Long, Long> earlierResent() {
    Map<Long, Long> earlier = new LinkedHashMap<>();
    for (Forward f : unacked.values()) {
      if (numberedBy(f) != handshake.incarnation()) {
        earlier.put(f.getIncarnation(), f.getSeq()); // in number order: the last is the highest
      }
    }
    for (long incarnation : earlierUnjournaling.keySet()) {
      earlier.putIfAbsent(incarnation, 0L);
    }
    return earlier;
  }

  private void linkUp() {
    beatDueNanos = 0;
    beatAnsweredNanos = 0;
    upSinceNanos = timer.nanoTime();
    state = State.UP;
    peerLeft = false;
    attempt = 0;
    LOG.info("cluster link to {} up", peer.id());
    listener.linkUp(this);
    while (!deferred.isEmpty()) {
      send(deferred.poll());
    }
    for (Forward f : unacked.values()) {
      forwardsResent.increment();
      batch(f);
    }
    flushBatch();
  }

  /**
   * A restarted peer (new incarnation) without a store lost its sessions with its memory:
   * forwards it had not acknowledged were for those, and would reach only subscriptions made
   * after them. They are dropped, and counted. A peer that keeps its sessions in a store came
   * back with them (and acknowledges a forward only once its sessions' copies are durable):
   * those forwards are sent again, as after any reconnect.
   */
  private void noteIncarnation(HelloAccepted accepted) {
    long incarnation = accepted.getIncarnation();
    boolean restarted = peerIncarnation != 0 && incarnation != peerIncarnation;
    peerIncarnation = incarnation;
    if (!restarted || unacked.isEmpty()) {
      return;
    }
    if (accepted.getSessionsKept()) {
      LOG.info("peer {} restarted from its store: {} forwards it had not acknowledged go again",
          peer.id(), unacked.size());
    } else {
      long bytes = 0;
      for (Forward f : unacked.values()) {
        bytes += size(f.getMessage());
      }
      int count = unacked.size();
      unjournal(unacked.values());
      unacked.clear();
      forwardsDroppedPeerRestarted.add(count);
      LOG.warn("peer {} restarted: {} forwards it had not acknowledged are dropped", peer.id(),
          count);
      release(bytes, count);
    }
  }

  /** Every keep-alive interval: give up on a silent peer, else ask it to answer. */
  private void watch(long g) {
    if (g != generation || out == null) {
      return;
    }
    long silent = timer.nanoTime() - lastHeardNanos;
    if (silent > silenceNanos) {
      fail(g, "no answer for " + TimeUnit.NANOSECONDS.toMillis(silent) + " ms");
    } else if (state == State.UP) {
      send(HEARTBEAT);
    }
  }

  /** Ends the current stream from our side and redials. */
  private void fail(long g, String why) {
    ClientCallStreamObserver<PeerFrame> stream = out;
    Status status = Status.UNAVAILABLE.withDescription(why);
    onClosed(g, status.asRuntimeException());
    if (stream != null) {
      stream.onError(status.asRuntimeException());
    }
  }

  private void onClosed(long g, Throwable t) {
    if (g != generation) {
      return;
    }
    generation++;
    cancelWatchdog();
    boolean wasUp = state == State.UP;
    if (wasUp) {
      downSinceNanos = timer.nanoTime();
    }
    state = State.DOWN;
    out = null;
    challenge = null;
    pending.clear();
    pendingControlBytes = 0;
    lazy.clear();
    flushBatch();
    listener.linkDown(peer.id());
    if (stopped) {
      return;
    }
    if (wasUp) {
      String reason = t == null ? "closed" : t.getMessage();
      LOG.atWarn().addKeyValue("peer", peer.id()).addKeyValue("reason", reason)
          .log("cluster link to {} down: {}", peer.id(), reason);
    } else {
      LOG.debug("cluster link to {} not established: {}", peer.id(), t);
    }
    long delay = Math.min(MAX_BACKOFF_MILLIS, MIN_BACKOFF_MILLIS << Math.min(attempt, 6));
    attempt++;
    delay += ThreadLocalRandom.current().nextLong(delay / 4 + 1);
    timer.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
  }

  private void cancelWatchdog() {
    if (watchdog != null) {
      watchdog.cancel();
      watchdog = null;
    }
  }

  private void reconnect() {
    onLinkThread(
        () -> {
          if (state == State.DOWN) {
            connect();
          }
        });
  }

  /**
   * The peer just dialled us, so it is listening: if our stream to it is down, retry now instead
   * of waiting out the backoff. Cuts the time for links to converge after a peer restarts.
   */
  void peerIsListening() {
    reconnect();
  }

  /**
   * Runs a task on the link's thread; after stop() there is nothing left to do (answers false:
   * the task will not run).
   */
  private boolean onLinkThread(Runnable task) {
    try {
      executor.execute(task);
      return true;
    } catch (RejectedExecutionException stopped) {
      // The link was stopped: late gRPC callbacks and timers have nothing to act on.
      return false;
    }
  }

  private void send(PeerFrame frame) {
    if (out == null) {
      return;
    }
    if (pending.isEmpty() && lazy.isEmpty() && out.isReady()) {
      out.onNext(frame);
    } else {
      pending.add(frame);
      pendingControlBytes += controlBytes(frame);
    }
  }

  private static long controlBytes(PeerFrame frame) {
    return frame.hasForwards() ? 0 : frame.getSerializedSize();
  }

  private void pump(long g) {
    if (g != generation || out == null) {
      return;
    }
    while (!pending.isEmpty() && out.isReady()) {
      PeerFrame frame = pending.poll();
      pendingControlBytes -= controlBytes(frame);
      out.onNext(frame);
    }
    while (pending.isEmpty() && !lazy.isEmpty() && out.isReady()) {
      Iterator<PeerFrame> frames = lazy.peek();
      out.onNext(frames.next());
      if (!frames.hasNext()) {
        lazy.poll();
      }
    }
  }
}
