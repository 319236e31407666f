package io.simqtt.core.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.EventExecutor;
import io.simqtt.core.auth.Action;
import io.simqtt.core.auth.AuthVerdict;
import io.simqtt.core.auth.ConnectAttempt;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.cluster.Backpressure;
import io.simqtt.core.cluster.ClaimResult;
import io.simqtt.core.codec.DecodeFailure;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Disconnect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketFramer;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.overload.InboundRate;
import io.simqtt.core.routing.DeliveryReceipt;
import io.simqtt.core.routing.PublishPacer;
import io.simqtt.core.session.ClientConnection;
import io.simqtt.core.session.InboundQos2;
import io.simqtt.core.session.Session;
import io.simqtt.core.session.SessionExpiry;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.session.Will;
import io.simqtt.core.session.WriteHold;
import io.simqtt.core.sys.SysTopics;
import io.simqtt.core.topic.Topics;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: the only handler of its channel's pipeline, and the session's view of the
 * socket. It frames inbound bytes into packets and encodes outbound packets itself, leaving
 * flushing and deadlines to its loop's {@link LoopConnections}: one handler per channel keeps an
 * idle connection small. Before CONNECT it runs on the channel's event loop; after, every packet is
 * a task of the session (see the package doc).
 */
public final class MqttConnection extends ChannelInboundHandlerAdapter
    implements ClientConnection, PublishPacer {
  private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
  /** Writes buffered before a flush even while a read batch or loop turn goes on. */
  private static final int FLUSH_EVERY = 256;
  /** How long a connection reads on after its last packet, waiting for the client to close. */
  private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

  private static final AtomicIntegerFieldUpdater<MqttConnection> CLOSING =
      AtomicIntegerFieldUpdater.newUpdater(MqttConnection.class, "closing");

  private final LoopConnections loop;
  private final Listener listener;
  private final ProtocolContext context;
  private final PacketFramer framer;
  /** Bytes of an incomplete packet, between reads; null when none. */
  private ByteBuf partial;
  /** 1 once closing has begun: later input is ignored, later closes are no-ops. */
  private volatile int closing;

  private Channel channel;
  private volatile MqttVersion version = MqttVersion.MQTT_3_1_1;
  /** Set on the event loop when CONNECT is accepted; packets after that go to the session. */
  private Session session;
  private ConnectTerms terms;
  /** What this client may do; set when its CONNECT is accepted. */
  private Permissions permissions = Permissions.ALL;
  /** Created on first use, like the next one: an idle connection should cost little. */
  private InboundTopicAliases aliases;
  private SubscriptionRequests subscriptionRequests;
  /** Packets read while the cluster answers the CONNECT's claim; null when no claim is out. */
  private List<Object> heldDuringConnect;
  /**
   * The CONNECT's credential check while it is out, its answer not yet on this loop (then null):
   * set and cleared on the connection's event loop only. Cancelled, which gives it up, when it
   * takes longer than {@code mqtt.limits.connect-timeout} or the connection closes first.
   */
  private CompletableFuture<AuthVerdict> checking;
  /**
   * The CONNECT's claim of its session in the cluster while it is out, its answer not yet on this
   * loop (then null): set and cleared on the connection's event loop only. Cancelled, which gives
   * it up (the cluster takes the connect as refused), when it takes longer than {@code
   * mqtt.limits.connect-timeout}.
   */
  private CompletableFuture<ClaimResult> claiming;
  private OutboundTopicAliases outboundAliases;
  /**
   * The client's Maximum Packet Size from its MQTT 5 CONNECT (Long.MAX_VALUE: none, or none
   * yet); set before the CONNECT is answered, as it binds a refusing CONNACK too
   * [MQTT-3.2.2-19].
   */
  private long clientMaximumPacketSize = Long.MAX_VALUE;
  /**
   * The attach of this connection to its session from the claim until it runs or is given up
   * (then null): set and cleared on the connection's event loop only.
   */
  private PendingAttach attaching;
  /** Cleared by DISCONNECT 0x00: the will is then discarded. */
  private volatile boolean willOnClose = true;
  /**
   * The accepting CONNACK is written (loop-confined): only then may a DISCONNECT go out
   * [MQTT-3.14.0-1]; a connection closed before it, say while its CONNECT is being checked,
   * closes without one.
   */
  private boolean connAckWritten;
  /** Reading stopped until a peer link this client publishes into has room again. */
  private boolean paced;
  /**
   * Durable mode only, made on the first QoS 1/2 publish: acknowledgements waiting for their
   * messages to be durable, in publish order.
   */
  private PublishAcks acks;
  /** Reading stopped: as many acknowledgements wait as the server's Receive Maximum allows. */
  private boolean acksFull;
  /** The client's rate limits; null when none are set or before CONNECT is accepted. */
  private InboundRate rate;
  /**
   * The client went over its rate: reading stops, and packets already read wait in {@link
   * #partial}, until its pause ends.
   */
  private boolean throttled;
  /**
   * The server's last packet (DISCONNECT, refusing CONNACK) is written: nothing more goes out, and
   * input is read and dropped until the client closes or the linger ends (see {@link #closeAfter}).
   */
  private boolean lingering;

  // Loop-confined bookkeeping for LoopConnections.
  /**
   * Before the session is bound, when the socket opened, then when the CONNECT's credential check
   * began and when its verdict came; after, when input was last seen; once {@link #lingering},
   * when the last packet was written.
   */
  private long deadlineBase;
  /** Input arrived since the last sweep. */
  private boolean heard;
  private boolean flushPending;
  private int unflushed;
  int rosterIndex = -1;

  public MqttConnection(LoopConnections loop, Listener listener) {
    this.loop = loop;
    this.listener = listener;
    this.context = loop.context();
    this.framer = PacketFramer.forServer(context.settings().limits().maxConnectPacketSize());
  }

  // ---- ClientConnection ----

  @Override
  public MqttVersion version() {
    return version;
  }

  @Override
  public EventExecutor eventLoop() {
    return loop.loop();
  }

  @Override
  public void send(MqttPacket packet) {
    EventLoop l = loop.loop();
    if (!l.inEventLoop()) {
      l.execute(() -> send(packet));
      return;
    }
    if (lingering) {
      // After the last packet the output is shut down: a write would fail and reset the socket.
      return;
    }
    MqttPacket wire =
        outboundAliases != null && packet instanceof Publish p
            ? outboundAliases.withAlias(p)
            : packet;
    channel.write(encode(wire), channel.voidPromise());
    if (++unflushed >= FLUSH_EVERY) {
      unflushed = 0;
      channel.flush();
    } else if (!flushPending) {
      flushPending = true;
      loop.flushLater(this);
    }
  }

  /** Writes the CONNACK that accepts the connection, on the channel's loop. */
  private void sendConnAck(ConnAck ack) {
    EventLoop l = loop.loop();
    if (!l.inEventLoop()) {
      l.execute(() -> sendConnAck(ack));
      return;
    }
    connAckWritten = true;
    send(ack);
  }

  /** Called by the loop once its turn is over, for connections {@link #send} wrote to. */
  void flushNow() {
    flushPending = false;
    unflushed = 0;
    channel.flush();
  }

  private ByteBuf encode(MqttPacket packet) {
    return MqttEncoder.encode(channel.alloc(), packet, version);
  }

  @Override
  public boolean isWritable() {
    return channel.isWritable();
  }

  @Override
  public int receiveMaximum() {
    return terms.receiveMaximum();
  }

  @Override
  public long maximumPacketSize() {
    return clientMaximumPacketSize;
  }

  @Override
  public String remoteAddress() {
    return ClientAddress.text(channel);
  }

  @Override
  public int keepAlive() {
    return terms.keepAlive();
  }

  @Override
  public void close(int reasonCode, String reason) {
    if (!CLOSING.compareAndSet(this, 0, 1)) {
      return;
    }
    EventLoop l = loop.loop();
    if (l.inEventLoop()) {
      sendDisconnectAndClose(reasonCode, reason);
    } else {
      l.execute(() -> sendDisconnectAndClose(reasonCode, reason));
    }
  }

  /**
   * Closes the socket now, without a DISCONNECT (no CONNECT yet, a 3.1.1 peer, a client's own
   * DISCONNECT, a client still open when the linger after the server's last packet ends, or server
   * shutdown after its grace period); input after this is ignored.
   */
  void abort() {
    closing = 1;
    channel.close();
  }

  private void sendDisconnectAndClose(int reasonCode, String reason) {
    if (version.isV5() && connAckWritten) {
      MqttProperties p = MqttProperties.empty();
      p.reasonString = reason;
      MqttPacket d =
          withinClientLimit(
              new Disconnect(reasonCode, p), new Disconnect(reasonCode, MqttProperties.NONE));
      closeAfter(channel.writeAndFlush(encode(d)));
    } else {
      channel.close();
    }
  }

  /**
   * Ends the connection after {@code last}, the server's last packet, without losing that packet
   * to a reset. Closing a socket while client input is still unread makes the kernel send a reset
   * (RST) in place of a FIN: a client still writing gets an error, and may drop what it had not
   * read yet, the DISCONNECT or CONNACK with the reason. So once {@code last} is written the output
   * is shut down (FIN after it), and input is read and dropped until the client closes (Netty then
   * closes the channel) or {@link #LINGER_NANOS} pass (the loop's sweep closes it). The session is
   * told now: for MQTT the connection is over.
   */
  private void closeAfter(ChannelFuture last) {
    lingering = true;
    deadlineBase = System.nanoTime();
    // Paused while a claim is out; the client's close is only seen while reading.
    channel.config().setAutoRead(true);
    last.addListener(
        f -> {
          if (f.isSuccess()) {
            listener.endOutput(channel);
          } else {
            channel.close();
          }
        });
    detachSession();
  }

  /** Tells the session this connection is over; later calls find it detached and do nothing. */
  private void detachSession() {
    Session s = session;
    if (s != null) {
      boolean will = willOnClose;
      s.execute(() -> s.detach(this, will));
    }
  }

  /**
   * Called by the loop's sweep: closes a socket that sent no CONNECT in time, a client silent for
   * longer than one and a half times its keep alive (spec 3.1.2.10), or one still open when the
   * linger after the server's last packet is over.
   */
  void checkDeadline(long now) {
    if (lingering) {
      if (now - deadlineBase > LINGER_NANOS) {
        LOG.debug("{}: not closed by the client after the last packet", remoteAddress());
        abort();
      }
      return;
    }
    if (session == null) {
      if (now - deadlineBase > loop.connectTimeoutNanos()) {
        if (checking != null) {
          if (checking.cancel(true)) {
            checking = null;
            refuseLate(ConnectWait.CHECK);
          }
        } else if (claiming != null) {
          if (claiming.cancel(true)) {
            claiming = null;
            refuseLate(ConnectWait.CLAIM);
          }
        } else {
          LOG.debug("{}: no CONNECT in time", remoteAddress());
          abort();
        }
        // A wait that cannot be cancelled any more has its answer on the way to this loop.
      }
      return;
    }
    if (heldDuringConnect != null) {
      // Claimed, its attach waiting for the session's read of the disk: no CONNACK yet, and
      // its keep alive not begun. Asked again a timeout later if the attach overtook the ask.
      if (now - deadlineBase > loop.connectTimeoutNanos() && attaching != null) {
        deadlineBase = now;
        PendingAttach a = attaching;
        a.session.execute(a::giveUp);
      }
      return;
    }
    int keepAlive = terms.keepAlive();
    if (keepAlive == 0 || closing != 0) {
      return;
    }
    if (heard || !channel.config().isAutoRead()) {
      // While the broker is not reading (a full peer link, the client's rate, the heap guard),
      // the client's silence is the broker's doing.
      // The sweep's clock, not the read's: later than the input, so never closes early.
      heard = false;
      deadlineBase = now;
    } else if (now - deadlineBase > keepAlive * 1_500_000_000L) {
      LOG.atDebug().addKeyValue("clientId", terms.clientId())
          .addKeyValue("reason", "keep_alive_timeout")
          .log("{}: keep alive expired", terms.clientId());
      close(ReasonCode.KEEP_ALIVE_TIMEOUT, "keep alive timeout");
    }
  }

  // ---- channel events ----

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    deadlineBase = System.nanoTime();
    loop.add(this);
    context.metrics().connectionOpened();
    if (loop.heapGuardOn()) {
      // Admitted just before the guard turned on; before the first read is asked for.
      updateReading();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    loop.remove(this);
    if (checking != null) {
      // Nobody to answer: the check's thread is freed, and the CONNECT changes nothing.
      checking.cancel(true);
    }
    releasePartial();
    context.metrics().connectionClosed();
    detachSession();
  }

  /**
   * The outbound buffer crossed a water mark. QoS 1/2 publishes wait in the session while the
   * channel is not writable; once it is again, the session sends what waited.
   */
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Session s = session;
    if (s != null && closing == 0 && channel.isWritable()) {
      s.execute(() -> s.onWritable(this));
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    heard = true;
    if (closing != 0) {
      in.release();
      return;
    }
    partial =
        partial == null
            ? in
            : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), partial, in);
    if (!throttled) {
      readPackets();
    }
  }

  /**
   * Frames and handles the packets in {@link #partial} until they run out or the client goes over
   * its rate; what is left stays there. A client over its rate is charged for the packet that
   * took it over, so it waits for at most one packet's worth beyond its rate.
   */
  private void readPackets() {
    ByteBuf buf = partial;
    partial = null;
    InboundRate r = rate;
    long now = r == null ? 0 : System.nanoTime();
    try {
      Object packet;
      int start = buf.readerIndex();
      while (closing == 0 && (packet = framer.next(buf)) != null) {
        onPacket(packet);
        if (r != null) {
          int end = buf.readerIndex();
          long pause = r.charge(packet instanceof Publish, end - start, now, context.metrics());
          start = end;
          if (pause > 0) {
            pauseReading(pause);
            break;
          }
        }
      }
    } finally {
      if (buf.isReadable() && closing == 0 && channel.isActive()) {
        buf.discardSomeReadBytes();
        partial = buf;
      } else {
        buf.release();
      }
    }
  }

  private void releasePartial() {
    if (partial != null) {
      partial.release();
      partial = null;
    }
  }

  private void onPacket(Object msg) {
    if (heldDuringConnect != null) {
      heldDuringConnect.add(msg);
    } else if (msg instanceof DecodeFailure failure) {
      onDecodeFailure(failure);
    } else if (session == null) {
      onConnect((Connect) msg);
    } else if (msg instanceof Connect) {
      Session s = session;
      s.execute(() -> protocolError("a second CONNECT"));
    } else {
      // The handler and its arguments, not a task capturing them: no object per packet.
      session.execute(MqttConnection::handle, this, (MqttPacket) msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof TransportViolation violation) {
      if (CLOSING.compareAndSet(this, 0, 1)) {
        LOG.debug("{}: {}, closing", ClientAddress.text(channel), violation.what());
        closeAfter(channel.newSucceededFuture());
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("{}: connection error: {}", ClientAddress.text(channel), cause.toString());
    ctx.close();
  }

  // ---- CONNECT ----

  private void onConnect(Connect connect) {
    version = connect.version();
    Long maximumPacketSize = connect.properties().maximumPacketSize;
    if (maximumPacketSize != null) {
      clientMaximumPacketSize = maximumPacketSize;
    }
    ConnectNegotiator.Outcome outcome = loop.negotiator().negotiate(connect);
    if (!outcome.accepted()) {
      refuse(outcome.reasonCode(), outcome.reason());
      return;
    }
    ConnectTerms t = outcome.terms();
    terms = t;
    framer.setMaxPacketSize(context.settings().limits().maxPacketSize());
    int aliasMaximum =
        Math.min(t.topicAliasMaximum(), context.settings().features().outboundTopicAliasMaximum());
    if (aliasMaximum > 0) {
      outboundAliases = new OutboundTopicAliases(aliasMaximum, clientMaximumPacketSize);
    }
    CompletableFuture<AuthVerdict> auth = context.auth().check(new ConnectAttempt(
        t.clientId(), listener.userName(channel, connect.userName()), connect.password(),
        listener.certificateIdentity(channel), listener.name(),
        ClientAddress.of(channel) instanceof InetSocketAddress a ? a : null));
    if (auth.isDone()) {
      authenticated(connect, auth.join());
      return;
    }
    checking = auth;
    // The check has a connect timeout of its own, as the claim and the attach after it have.
    deadlineBase = System.nanoTime();
    holdInput();
    auth.thenAccept(verdict -> loop.loop().execute(() -> {
      checking = null;
      deadlineBase = System.nanoTime();
      authenticated(connect, verdict);
    }));
  }

  /**
   * The CONNECT waited longer than {@code mqtt.limits.connect-timeout} for {@code wait}, which the
   * caller gave up so that it changes nothing: a check's verdict is dropped (no claim is made for
   * it), a claim given up counts as refused in the cluster, an attach given up does not run. The
   * client gets CONNACK 0x88 (3.1.1: 3) and the connection closes, counted.
   */
  private void refuseLate(ConnectWait wait) {
    heldDuringConnect = null;
    LOG.atDebug().addKeyValue("clientId", terms.clientId()).addKeyValue("reason", wait.logReason)
        .log("{}: CONNECT refused: {} did not end in time", terms.clientId(), wait.what);
    wait.count(context.metrics());
    refuse(ReasonCode.SERVER_UNAVAILABLE, wait.told);
  }

  /** What this client may do (everything until its CONNECT is accepted: it can do nothing yet). */
  @Override
  public Permissions permissions() {
    return permissions;
  }

  /** Reading goes on; what was held meanwhile is the caller's to handle or leave. */
  private void stopHoldingInput() {
    heldDuringConnect = null;
    updateReading();
  }

  /** Until the CONNECT is settled, reads pause and what was already read waits its turn. */
  private void holdInput() {
    if (heldDuringConnect == null) {
      heldDuringConnect = new ArrayList<>();
      updateReading();
    }
  }

  /**
   * Reads from the socket exactly while nothing holds it back: a CONNECT being settled, a full
   * peer link ({@link #paced}), the client's rate ({@link #throttled}), the heap guard. Not reading
   * leaves what the client sends in the socket buffers, so TCP slows the client down. The one
   * place that sets the channel's auto-read, but for the linger after the last packet, which
   * reads on to see the client close.
   */
  void updateReading() {
    if (lingering) {
      return;
    }
    boolean read =
        heldDuringConnect == null && !paced && !acksFull && !throttled && !loop.heapGuardOn();
    ChannelConfig config = channel.config();
    if (config.isAutoRead() != read) {
      config.setAutoRead(read);
    }
  }

  /** The client went over its rate: nothing more is read or handled for {@code nanos}. */
  private void pauseReading(long nanos) {
    throttled = true;
    updateReading();
    loop.loop().schedule(this::endPause, nanos, TimeUnit.NANOSECONDS);
  }

  private void endPause() {
    throttled = false;
    if (closing == 0 && partial != null) {
      readPackets(); // what was read before the pause; may pause again
    }
    updateReading();
  }

  /** The credentials were judged: claim the session, or refuse after the failure delay. */
  private void authenticated(Connect connect, AuthVerdict verdict) {
    ConnectTerms t = terms;
    if (!verdict.allowed()) {
      LOG.atDebug().addKeyValue("clientId", t.clientId()).addKeyValue("reason", "not_authorized")
          .log("{}: CONNECT refused: {}", t.clientId(), verdict.reason());
      // The client learns the code only: not whether the user exists or what was wrong.
      String told = verdict.reasonCode() == ReasonCode.BAD_USER_NAME_OR_PASSWORD
          ? "bad user name or password"
          : verdict.reasonCode() == ReasonCode.SERVER_BUSY ? verdict.reason() : "not authorized";
      if (verdict.delayMillis() == 0) {
        refuse(verdict.reasonCode(), told);
        return;
      }
      holdInput();
      // The connect timeout counts from the answer, not from a wait the broker imposed.
      deadlineBase = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(verdict.delayMillis());
      loop.loop().schedule(
          () -> refuse(verdict.reasonCode(), told), verdict.delayMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    var w = connect.will();
    if (w != null
        && !verdict.permissions().allows(Action.PUBLISH, w.topic(), w.qos(), w.retain())) {
      refuse(ReasonCode.NOT_AUTHORIZED, "will topic not authorized");
      return;
    }
    permissions = verdict.permissions();
    Will will = w == null ? null : WillMessages.of(w, t.clientId());
    CompletableFuture<ClaimResult> claim =
        context.cluster().claim(
            t.clientId(), connect.cleanStart(), t.sessionExpiry() != SessionExpiry.AT_DISCONNECT);
    if (claim.isDone()) {
      attach(connect, will, claim.join());
      return;
    }
    claiming = claim;
    deadlineBase = System.nanoTime();
    holdInput();
    claim.thenAccept(result -> loop.loop().execute(() -> {
      claiming = null;
      attach(connect, will, result);
    }));
  }

  /**
   * Binds the session once the cluster has answered the claim, then sends CONNACK. What the
   * client sent after CONNECT waits until the session has attached this connection ({@link
   * #releaseInput}): what the attach takes of the session's queue may first be read off the event
   * loop ({@link Session#beforeAttach}).
   */
  private void attach(Connect connect, Will will, ClaimResult claimed) {
    if (claimed.outcome() == ClaimResult.Outcome.REFUSED) {
      stopHoldingInput();
      refuse(ReasonCode.SERVER_BUSY, "a concurrent connection for this client id won");
      return;
    }
    if (claimed.outcome() == ClaimResult.Outcome.UNAVAILABLE) {
      stopHoldingInput();
      refuse(
          ReasonCode.SERVER_UNAVAILABLE,
          "a cluster node that may hold this session does not answer; try again");
      return;
    }
    ConnectTerms t = terms;
    Session s = context.sessions().claim(t.clientId(), loop.loop(), claimed.state() != null);
    if (s == null) {
      stopHoldingInput();
      claimed.refused().run();
      // 0x97 on MQTT 5; the encoder answers 3.1.1 clients with 3 (Server unavailable).
      refuse(
          ReasonCode.QUOTA_EXCEEDED,
          "this node holds mqtt.sessions.max-sessions sessions; try another node or later");
      return;
    }
    session = s;
    deadlineBase = System.nanoTime();
    rate = InboundRate.of(context.settings().limits(), deadlineBase);
    holdInput();
    PendingAttach a = new PendingAttach(s, connect, will, claimed);
    attaching = a;
    s.execute(() -> s.beforeAttach(connect.cleanStart(), claimed.state() != null, a));
  }

  /**
   * The attach of this connection to its session, run by {@link Session#beforeAttach} once the
   * session may take it (then CONNACK goes out), or given up first ({@link #giveUp}): both are
   * tasks of the session, so whichever comes first decides.
   */
  private final class PendingAttach implements Session.AttachTask {
    private final Session session;
    private final Connect connect;
    private final Will will;
    private final ClaimResult claimed;
    private boolean ran;
    private boolean givenUp;

    PendingAttach(Session session, Connect connect, Will will, ClaimResult claimed) {
      this.session = session;
      this.connect = connect;
      this.will = will;
      this.claimed = claimed;
    }

    @Override
    public boolean givenUp() {
      return givenUp;
    }

    @Override
    public void run() {
      ran = true;
      ConnectTerms t = terms;
      boolean present =
          session.attach(
              MqttConnection.this,
              connect.cleanStart(),
              t.sessionExpiry(),
              will,
              claimed.state(),
              claimed.stamp());
      claimed.attached().run();
      // The rules changed while this CONNECT was checked, after the reload had passed the
      // session: it would keep the old ones (see PermissionRetries.refreshAll).
      if (context.auth().isStale(permissions)) {
        context.sessions().permissions().refresh(session);
      }
      sendConnAck(loop.negotiator().accept(t, present, version.isV5()));
      context.metrics().connectAccepted();
      session.resumeDelivery();
      if (loop.loop().inEventLoop()) {
        releaseInput();
      } else {
        loop.loop().execute(MqttConnection.this::releaseInput);
      }
    }

    /**
     * The attach has waited {@code mqtt.limits.connect-timeout} for the session's read of the
     * disk (a store whose reads keep failing, tried again after growing pauses): the client gets
     * CONNACK 0x88 (3.1.1: 3, Server unavailable) and the connection closes, counted. The CONNECT
     * was refused, so it changes nothing: the attach is cancelled (it no longer runs when the
     * read is in, and its Clean Start and Session Expiry are not applied), and the cluster is
     * told, as for a connect refused at the session cap, so that a holder that handed state over
     * keeps it and another node's later claim goes ahead. Nothing if the attach ran first: its
     * CONNACK is out or on its way.
     */
    void giveUp() {
      if (ran || givenUp) {
        return;
      }
      givenUp = true;
      session.attachGivenUp();
      claimed.refused().run();
      loop.loop().execute(MqttConnection.this::refuseGivenUp);
    }
  }

  /** Answers the CONNECT whose attach was given up ({@link PendingAttach#giveUp}). */
  private void refuseGivenUp() {
    attaching = null;
    if (closing != 0 || !channel.isActive()) {
      heldDuringConnect = null;
      return;
    }
    refuseLate(ConnectWait.SESSION_READ);
  }

  /**
   * The session attached this connection: what the client sent meanwhile is handled now, as
   * session tasks behind the attach, and reading goes on.
   */
  private void releaseInput() {
    attaching = null;
    List<Object> held = heldDuringConnect;
    stopHoldingInput();
    if (!channel.isActive()) {
      // Closed while the claim was out or the session read: the session (maybe handed over)
      // stays, the client goes. (A detach when it closed came before the attach.)
      detachSession();
      return;
    }
    if (held != null) {
      for (Object msg : held) {
        if (closing != 0) {
          break;
        }
        onPacket(msg);
      }
    }
  }

  private void refuse(int reasonCode, String reason) {
    context.metrics().connectRefused(reasonCode);
    closing = 1;
    if (!version.isV5() && !ReasonCode.hasV3ConnAck(reasonCode)) {
      abort();
      return;
    }
    MqttProperties p = MqttProperties.empty();
    p.reasonString = reason;
    ConnAck bare = new ConnAck(false, reasonCode, MqttProperties.NONE);
    MqttPacket ack = withinClientLimit(new ConnAck(false, reasonCode, p), bare);
    closeAfter(channel.writeAndFlush(encode(ack)));
  }

  /**
   * {@code full}, or {@code bare}, the same packet without its Reason String, when {@code full}
   * is larger than the client's Maximum Packet Size: the Reason String is optional, the limit is
   * not [MQTT-3.2.2-19], [MQTT-3.14.2-3].
   */
  private MqttPacket withinClientLimit(MqttPacket full, MqttPacket bare) {
    return MqttEncoder.encodedSize(full, version) > clientMaximumPacketSize ? bare : full;
  }

  private void onDecodeFailure(DecodeFailure failure) {
    LOG.atDebug().addKeyValue("clientId", session == null ? null : terms.clientId())
        .addKeyValue("reason", "protocol_error")
        .log("{}: {}", remoteAddress(), failure.message());
    context.metrics().protocolError();
    if (session != null) {
      // As a session task, so the DISCONNECT cannot overtake the CONNACK, which the session
      // sends once it has attached this connection (later than now when it was taken over).
      Session s = session;
      s.execute(() -> close(failure.reasonCode(), failure.message()));
      return;
    }
    MqttVersion known = framer.version();
    if (failure.reasonCode() == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION) {
      // Answered in 3.1.1 form: return code 1, unacceptable protocol version.
      refuse(failure.reasonCode(), failure.message());
    } else if (known != null && known.isV5()) {
      version = known;
      refuse(failure.reasonCode(), failure.message());
    } else {
      abort();
    }
  }

  // ---- packets after CONNECT, as session tasks ----

  private void handle(MqttPacket packet) {
    if (closing != 0) {
      return;
    }
    if (packet instanceof Publish p) {
      onPublish(p);
    } else if (packet instanceof PubResponse r) {
      onPubResponse(r);
    } else if (packet instanceof MqttPacket.Subscribe sub) {
      subscriptionRequests().subscribe(session, sub);
    } else if (packet instanceof MqttPacket.Unsubscribe unsub) {
      subscriptionRequests().unsubscribe(session, unsub);
    } else if (packet instanceof MqttPacket.PingReq) {
      send(MqttPacket.PingResp.INSTANCE);
    } else if (packet instanceof Disconnect d) {
      onDisconnect(d);
    } else if (packet instanceof MqttPacket.Auth) {
      protocolError("AUTH without an authentication method");
    } else {
      protocolError(packet.type() + " is not sent by clients");
    }
  }

  private void onPublish(Publish p) {
    var features = context.settings().features();
    if (p.qos() > features.maxQos()) {
      close(ReasonCode.QOS_NOT_SUPPORTED, "QoS " + p.qos() + " is not supported");
      return;
    }
    if (p.retain() && !features.retainAvailable()) {
      close(ReasonCode.RETAIN_NOT_SUPPORTED, "retained messages are not supported");
      return;
    }
    MqttProperties props = p.properties();
    if (!props.subscriptionIdentifiers.isEmpty()) {
      protocolError("PUBLISH from a client carries a Subscription Identifier");
      return;
    }
    if (!MessageChecks.hasValidResponseTopic(props)) {
      protocolError("Response Topic is not a valid topic name");
      return;
    }
    String topic = p.topic();
    if (topic.isEmpty() && props.topicAlias == null) {
      // 3.3.2.1: a Protocol Error, not an invalid topic name (0x90).
      protocolError("zero-length Topic Name without a Topic Alias");
      return;
    }
    if (props.topicAlias != null) {
      int alias = props.topicAlias;
      if (aliases == null) {
        aliases = new InboundTopicAliases(context.settings().limits().topicAliasMaximum());
      }
      if (!aliases.isValid(alias)) {
        close(ReasonCode.TOPIC_ALIAS_INVALID, "topic alias " + alias + " is out of range");
        return;
      }
      if (topic.isEmpty()) {
        topic = aliases.get(alias);
        if (topic == null) {
          protocolError("topic alias " + alias + " was never set");
          return;
        }
      } else {
        aliases.set(alias, topic);
      }
    }
    if (!Topics.isValidTopicName(topic, context.settings().limits().maxTopicLevels())) {
      close(ReasonCode.TOPIC_NAME_INVALID, "invalid topic name");
      return;
    }
    // $SYS/ belongs to the broker: a client must not fake its figures, whatever the rules say.
    if (SysTopics.isSys(topic)
        || !permissions.allows(Action.PUBLISH, topic, p.qos(), p.retain())) {
      // MQTT 5 publishers of QoS 1/2 learn why (0x87); 3.1.1 has no reason codes, so the ack
      // is plain and the message is dropped silently, as Mosquitto does.
      LOG.atDebug().addKeyValue("clientId", terms.clientId())
          .addKeyValue("reason", "not_authorized")
          .log("{}: PUBLISH to {} refused", terms.clientId(), topic);
      context.metrics().dropped(DropReason.NOT_AUTHORIZED);
      acknowledge(p, ReasonCode.NOT_AUTHORIZED);
      return;
    }
    if (!MessageChecks.hasValidPayloadFormat(props, p.payload())) {
      // 3.3.2.3.2: PUBACK or PUBREC 0x99, or DISCONNECT 0x99 for QoS 0, which has no answer.
      LOG.atDebug().addKeyValue("clientId", terms.clientId())
          .addKeyValue("reason", "payload_format_invalid")
          .log("{}: PUBLISH to {} is not the UTF-8 it says", terms.clientId(), topic);
      context.metrics().dropped(DropReason.PAYLOAD_FORMAT_INVALID);
      if (p.qos() == 0) {
        close(ReasonCode.PAYLOAD_FORMAT_INVALID, "payload is not well-formed UTF-8");
      } else {
        acknowledge(p, ReasonCode.PAYLOAD_FORMAT_INVALID);
      }
      return;
    }
    if (p.qos() == 2) {
      switch (session.admitQos2(p.packetId(), context.settings().limits().receiveMaximum())) {
        case RESEND -> {
          // A QoS 2 message already accepted: answer again, deliver once.
          acknowledgeResend(p);
          return;
        }
        case OVER_QUOTA -> {
          close(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, "receive maximum exceeded");
          return;
        }
        case NEW -> {}
      }
    }
    context.metrics().messageIn(p.qos(), p.payload().length);
    var router = context.router();
    Message message =
        InboundMessages.of(p, topic, terms.clientId(), router.nodeId(), router.newStamp());
    if (p.qos() > 0 && context.sessions().isDurable()) {
      publishDurably(p, message);
      return;
    }
    int receivers = router.publish(message, this);
    acknowledge(p, receivers == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS);
  }

  /**
   * Durable mode, QoS 1/2: the PUBACK / PUBREC goes out once every session on this node the
   * message was given to has taken it and, if a stored one was among them (so an entry was
   * written), once the store says that is durable; then in publish order (see {@link
   * PublishAcks}). For QoS 2 from a stored publisher, every target writes its copy (an entry, a
   * forward journal write) under one {@link WriteHold}, and the count that completes the receipt
   * writes the publisher's packet id and releases it: copies and id reach the disk in one unit,
   * so after a crash a resend of the PUBLISH is answered without routing exactly when no copy was
   * lost. An id written after this session's state was replaced is taken back ({@link
   * Session#carriedQos2Written}). A retained message waits for its retained write as well.
   */
  private void publishDurably(Publish p, Message message) {
    PublishAcks.Ack ack = holdAck(p.qos() == 1 ? PacketType.PUBACK : PacketType.PUBREC, p);
    Session s = session;
    InboundQos2.Unsettled settled = p.qos() == 2 ? s.unsettledQos2(p.packetId()) : null;
    Runnable release = () -> {
      acks.release(ack);
      if (settled != null) {
        settled.run();
      }
    };
    // A retained message is written to the same store (in durable mode the retained store
    // writes through to it), and its write was queued by the routing above: the answer waits
    // for it too, or a kill right after the PUBACK would lose an acknowledged retained message.
    boolean retainedWrite = p.retain();
    SessionStore store = context.sessions().store();
    boolean carryId = p.qos() == 2 && s.isStored();
    String publisherId = terms.clientId();
    Consumer<Boolean> whenTaken = stored -> {
      Runnable answer = carryId
          ? () -> {
            s.carriedQos2Written(settled, p.packetId());
            release.run();
          }
          : release;
      if (stored || retainedWrite || carryId) {
        store.afterDurable(() -> s.execute(answer));
      } else {
        s.execute(answer);
      }
    };
    DeliveryReceipt receipt = carryId
        ? new DeliveryReceipt(whenTaken, store.holdWrites(),
            () -> store.addInboundQos2(publisherId, p.packetId()))
        : new DeliveryReceipt(whenTaken);
    int receivers = context.router().publish(message, this, receipt);
    ack.reasonCode = receivers == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS;
    receipt.routed();
  }

  /**
   * A QoS 2 PUBLISH resent under an id still open: answered again, not routed again. In durable
   * mode not before the first copy's PUBREC may go out (its deliveries and id durable): were the
   * resend on a new connection answered at once, the client could finish the message with PUBREL
   * and PUBCOMP while a crash would still lose it. On the first copy's connection the order of
   * {@link PublishAcks} keeps it behind that one anyway.
   */
  private void acknowledgeResend(Publish p) {
    if (!context.sessions().isDurable()) {
      acknowledge(p, ReasonCode.SUCCESS);
      return;
    }
    PublishAcks.Ack ack = holdAck(PacketType.PUBREC, p);
    ack.reasonCode = ReasonCode.SUCCESS;
    session.whenQos2Settled(p.packetId(), () -> acks.release(ack));
  }

  /** An acknowledgement that waits, in publish order; reading stops while too many do. */
  private PublishAcks.Ack holdAck(PacketType type, Publish p) {
    PublishAcks.Ack ack = acks().hold(type, p.packetId());
    if (acks.isFull()) {
      setAcksFull(true);
    }
    return ack;
  }

  private PublishAcks acks() {
    if (acks == null) {
      acks = new PublishAcks(this, context.settings().limits().receiveMaximum());
    }
    return acks;
  }

  /** The acknowledgements waiting fell below the bound: reading resumes. */
  void acksDrained() {
    setAcksFull(false);
  }

  private void setAcksFull(boolean full) {
    EventLoop l = loop.loop();
    if (!l.inEventLoop()) {
      l.execute(() -> setAcksFull(full));
      return;
    }
    acksFull = full;
    updateReading();
  }

  /**
   * A message of this client filled a peer link beyond its budget: it is accepted (and
   * acknowledged) like any other, but nothing more is read from the socket until the link has
   * room, so the client's own window stops it. Runs as a session task, on this channel's loop.
   */
  @Override
  public void slowDown(Backpressure pressure) {
    if (paced) {
      return;
    }
    paced = true;
    context.metrics().publisherSlowed();
    updateReading();
    pressure.whenRelieved(() -> loop.loop().execute(this::resumeReading));
  }

  private void resumeReading() {
    paced = false;
    updateReading();
  }

  /**
   * PUBACK for QoS 1, PUBREC for QoS 2, nothing for QoS 0; behind those still waiting for
   * durability, if any.
   */
  private void acknowledge(Publish p, int reasonCode) {
    if (p.qos() == 0) {
      return;
    }
    PacketType type = p.qos() == 1 ? PacketType.PUBACK : PacketType.PUBREC;
    if (acks == null) {
      sendAck(type, p.packetId(), reasonCode);
    } else {
      acks.send(type, p.packetId(), reasonCode);
    }
  }

  private void onPubResponse(PubResponse r) {
    switch (r.type()) {
      case PUBACK -> session.onPubAck(r.packetId());
      case PUBREC -> session.onPubRec(r.packetId(), r.reasonCode());
      case PUBCOMP -> session.onPubComp(r.packetId());
      case PUBREL -> {
        int id = r.packetId();
        switch (session.releaseQos2(id)) {
          case UNKNOWN -> sendAck(PacketType.PUBCOMP, id, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
          case RELEASED -> sendAck(PacketType.PUBCOMP, id, ReasonCode.SUCCESS);
          case WRITTEN -> {
            Session s = session;
            context.sessions().store().afterDurable(() -> s.execute(
                () -> sendAck(PacketType.PUBCOMP, id, ReasonCode.SUCCESS)));
          }
        }
      }
      default -> protocolError("unexpected " + r.type());
    }
  }

  private void onDisconnect(Disconnect d) {
    Long expiry = d.properties().sessionExpiryInterval;
    if (expiry != null) {
      // The rule (spec 3.14.2.2.2) is about the value the CONNECT asked for, not the one the
      // server capped it to: a client capped to 0 may still send a non-zero value here.
      boolean connectAskedZero =
          terms.sessionExpiry() == SessionExpiry.AT_DISCONNECT && !terms.sessionExpiryCapped();
      if (connectAskedZero && expiry != 0) {
        protocolError("Session Expiry Interval changed from 0 in DISCONNECT");
        return;
      }
      session.setExpiryInterval(
          Math.min(expiry, context.settings().sessions().maxSessionExpiry()));
    }
    willOnClose = d.reasonCode() != ReasonCode.NORMAL_DISCONNECTION;
    abort();
  }

  private SubscriptionRequests subscriptionRequests() {
    if (subscriptionRequests == null) {
      subscriptionRequests = new SubscriptionRequests(context, this);
    }
    return subscriptionRequests;
  }

  void sendAck(PacketType type, int packetId, int reasonCode) {
    send(new PubResponse(type, packetId, reasonCode, MqttProperties.NONE));
  }

  void protocolError(String reason) {
    context.metrics().protocolError();
    close(ReasonCode.PROTOCOL_ERROR, reason);
  }

  ConnectTerms terms() {
    return terms;
  }
}
