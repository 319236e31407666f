package io.simqtt.core.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.simqtt.core.codec.DecodeFailure;
import io.simqtt.core.codec.MqttDecoder;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.ConnAck;
import io.simqtt.core.codec.MqttPacket.Connect;
import io.simqtt.core.codec.MqttPacket.PubResponse;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttPacket.SubAck;
import io.simqtt.core.codec.MqttPacket.Subscribe;
import io.simqtt.core.codec.MqttPacket.Subscription;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking MQTT client over a plain socket, for the details real client libraries hide: exact
 * packets, never acknowledging, going silent, closing without DISCONNECT, hand-made (malformed)
 * bytes. Uses the project's codec both ways; a packet from the server that does not decode fails
 * the read. Reads block with a timeout (no background reader). Not thread-safe: one test thread
 * drives it.
 */
public final class RawClient implements AutoCloseable {
  /** Default wait for an expected packet. */
  public static final Duration WAIT = Duration.ofSeconds(5);

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final MqttVersion version;
  private final EmbeddedChannel decoder;
  private final ArrayDeque<MqttPacket> received = new ArrayDeque<>();
  private final byte[] buffer = new byte[8192];
  private boolean eof;
  private boolean reset;
  private int nextPacketId = 1;

  private RawClient(Socket socket, MqttVersion version) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.version = version;
    this.decoder = new EmbeddedChannel(MqttDecoder.forClient(version, 268_435_460));
  }

  /** Opens a TCP connection; nothing is sent yet. */
  public static RawClient open(String host, int port, MqttVersion version) {
    try {
      Socket s = new Socket(host, port);
      s.setTcpNoDelay(true);
      return new RawClient(s, version);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static RawClient open(BrokerFixture f, MqttVersion version) {
    return open(f.host(), f.port(), version);
  }

  public MqttVersion version() {
    return version;
  }

  // ---- packet builders ----

  /** A CONNECT without will or credentials; {@code properties} may be null (none). */
  public static Connect connectPacket(
      MqttVersion version,
      String clientId,
      boolean cleanStart,
      int keepAlive,
      MqttProperties properties) {
    return new Connect(
        version,
        cleanStart,
        keepAlive,
        clientId,
        null,
        null,
        null,
        properties == null ? MqttProperties.empty() : properties);
  }

  /** The same CONNECT with a will. */
  public static Connect withWill(Connect c, MqttPacket.Will will) {
    return new Connect(
        c.version(), c.cleanStart(), c.keepAlive(), c.clientId(), will, c.userName(),
        c.password(), c.properties());
  }

  /** MQTT 5 properties holding just a Session Expiry Interval. */
  public static MqttProperties sessionExpiry(long seconds) {
    MqttProperties p = MqttProperties.empty();
    p.sessionExpiryInterval = seconds;
    return p;
  }

  /** A PUBLISH with a UTF-8 payload and no properties. */
  public static Publish publishPacket(
      String topic, int qos, boolean retain, int packetId, String payload) {
    return new Publish(
        topic,
        qos,
        retain,
        false,
        packetId,
        payload.getBytes(StandardCharsets.UTF_8),
        MqttProperties.empty());
  }

  /** A PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no properties. */
  public static PubResponse ack(PacketType type, int packetId) {
    return new PubResponse(type, packetId, ReasonCode.SUCCESS, MqttProperties.empty());
  }

  /** The bytes of {@code packet} encoded in {@code version}. */
  public static byte[] encode(MqttPacket packet, MqttVersion version) {
    ByteBuf buf = MqttEncoder.encode(ByteBufAllocator.DEFAULT, packet, version);
    try {
      byte[] bytes = new byte[buf.readableBytes()];
      buf.readBytes(bytes);
      return bytes;
    } finally {
      buf.release();
    }
  }

  // ---- sending ----

  /** Sends CONNECT and returns the CONNACK (fails if none arrives in {@link #WAIT}). */
  public ConnAck connect(Connect connect) {
    send(connect);
    return expect(ConnAck.class, WAIT);
  }

  /** Connects with the given client id, clean start and keep alive; fails unless accepted. */
  public ConnAck connect(String clientId, boolean cleanStart, int keepAlive, MqttProperties p) {
    ConnAck ack = connect(connectPacket(version, clientId, cleanStart, keepAlive, p));
    if (ack.reasonCode() != ReasonCode.SUCCESS) {
      throw new AssertionError("CONNECT refused: 0x" + Integer.toHexString(ack.reasonCode()));
    }
    return ack;
  }

  /**
   * Connects with clean start, keep alive 0 and no properties; fails unless accepted. For tests
   * that do not care about the session.
   */
  public ConnAck connect(String clientId) {
    return connect(clientId, true, 0, null);
  }

  /** Subscribes to one filter and waits for the SUBACK; returns its reason codes. */
  public List<Integer> subscribe(String filter, int qos) {
    return subscribe(nextPacketId(), 0, new Subscription(filter, qos, false, false, 0))
        .reasonCodes();
  }

  /**
   * Sends one SUBSCRIBE with {@code subscriptionId} (0: none) and waits for its SUBACK, which
   * must carry {@code packetId}.
   */
  public SubAck subscribe(int packetId, int subscriptionId, Subscription... subscriptions) {
    MqttProperties props = MqttProperties.empty();
    if (subscriptionId != 0) {
      props.subscriptionIdentifiers.add(subscriptionId);
    }
    send(new Subscribe(packetId, List.of(subscriptions), props));
    SubAck ack = expect(SubAck.class, WAIT);
    if (ack.packetId() != packetId) {
      throw new AssertionError("SUBACK for " + ack.packetId() + ", expected " + packetId);
    }
    return ack;
  }

  /** Sends a PUBLISH (packet id chosen here for QoS > 0) without waiting for acknowledgement. */
  public int publish(String topic, int qos, boolean retain, byte[] payload) {
    int id = qos == 0 ? 0 : nextPacketId();
    send(new Publish(topic, qos, retain, false, id, payload, MqttProperties.empty()));
    return id;
  }

  /** Acknowledges a QoS 1 PUBLISH. */
  public void puback(int packetId) {
    send(new PubResponse(PacketType.PUBACK, packetId, ReasonCode.SUCCESS, MqttProperties.empty()));
  }

  public void disconnect(int reasonCode, MqttProperties properties) {
    send(
        new MqttPacket.Disconnect(
            reasonCode, properties == null ? MqttProperties.empty() : properties));
  }

  /** Encodes and sends one packet in this client's version. */
  public void send(MqttPacket packet) {
    sendRaw(encode(packet, version));
  }

  /** Sends bytes as they are. */
  public void sendRaw(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- receiving ----

  /**
   * The next packet from the server, or null when none arrives within {@code timeout} or the
   * connection is closed (see {@link #isClosed()}).
   */
  public MqttPacket read(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (received.isEmpty() && !eof) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !fill(left)) {
        break;
      }
    }
    return received.pollFirst();
  }

  /** The next packet, which must be of {@code type} and arrive within {@code timeout}. */
  public <T extends MqttPacket> T expect(Class<T> type, Duration timeout) {
    MqttPacket p = read(timeout);
    if (p == null) {
      throw new AssertionError(
          "expected " + type.getSimpleName() + " within " + timeout + (eof ? ", got EOF" : ""));
    }
    if (!type.isInstance(p)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + p);
    }
    return type.cast(p);
  }

  /**
   * Whether the server closes the connection within {@code timeout}. Packets read meanwhile are
   * kept for {@link #read}.
   */
  public boolean closedWithin(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!eof) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || !fill(left)) {
        break;
      }
    }
    return eof;
  }

  /** {@link #expect(Class, Duration)} with {@link #WAIT}. */
  public <T extends MqttPacket> T expect(Class<T> type) {
    return expect(type, WAIT);
  }

  /** The next packet, whatever it is; fails if none arrives within {@link #WAIT}. */
  public MqttPacket next() {
    return expect(MqttPacket.class, WAIT);
  }

  /**
   * The next packet, or null when none arrives within {@code timeout}; unlike {@link #read}, fails
   * if the connection is closed instead (for "nothing more arrives, and still connected").
   */
  public MqttPacket poll(Duration timeout) {
    MqttPacket p = read(timeout);
    if (p == null && eof) {
      throw new AssertionError("connection closed");
    }
    return p;
  }

  /**
   * Takes PUBLISHes (acknowledging QoS 1) until none has come for {@code quiet}; returns their
   * topics in order. Fails if the connection closes meanwhile.
   */
  public List<String> topicsUntilQuiet(Duration quiet) {
    List<String> topics = new ArrayList<>();
    MqttPacket p;
    while ((p = poll(quiet)) != null) {
      if (p instanceof Publish pub) {
        topics.add(pub.topic());
        if (pub.qos() == 1) {
          puback(pub.packetId());
        }
      }
    }
    return topics;
  }

  /**
   * Takes PUBLISHes until none has come for {@code quiet} or the connection closed; returns their
   * payloads (UTF-8) in order. Each is acknowledged as its QoS asks: PUBACK, or PUBREC and then
   * PUBCOMP for its PUBREL.
   */
  public List<String> payloadsUntilQuiet(Duration quiet) {
    List<String> got = new ArrayList<>();
    MqttPacket next;
    while ((next = read(quiet)) != null) {
      if (next instanceof Publish p) {
        got.add(Clients.text(p));
        if (p.qos() == 1) {
          puback(p.packetId());
        } else if (p.qos() == 2) {
          send(ack(PacketType.PUBREC, p.packetId()));
        }
      } else if (next instanceof PubResponse r && r.type() == PacketType.PUBREL) {
        send(ack(PacketType.PUBCOMP, r.packetId()));
      }
    }
    return got;
  }

  /** {@link #poll(Duration)} in milliseconds. */
  public MqttPacket poll(long millis) {
    return poll(Duration.ofMillis(millis));
  }

  /**
   * Reads until the server closes the connection, which must happen within {@code bound};
   * returns the packets read before the close (including any not yet returned by {@link #read}).
   */
  public List<MqttPacket> expectClosed(Duration bound) {
    long deadline = System.nanoTime() + bound.toNanos();
    List<MqttPacket> got = new ArrayList<>();
    while (true) {
      MqttPacket p;
      while ((p = received.pollFirst()) != null) {
        got.add(p);
      }
      if (eof) {
        return got;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("connection not closed within " + bound + "; got " + got);
      }
      fill(left);
    }
  }

  /** {@link #expectClosed(Duration)} with {@link #WAIT}. */
  public List<MqttPacket> expectClosed() {
    return expectClosed(WAIT);
  }

  /** Asserts the server closes within {@code bound} without sending any packet. */
  public void expectSilentClose(Duration bound) {
    List<MqttPacket> got = expectClosed(bound);
    if (!got.isEmpty()) {
      throw new AssertionError("expected a close without any packet, got " + got);
    }
  }

  /**
   * Asserts the server sends exactly one packet, a DISCONNECT, and closes within {@link #WAIT};
   * returns its reason code.
   */
  public int expectDisconnect() {
    List<MqttPacket> got = expectClosed(WAIT);
    if (got.size() != 1 || !(got.get(0) instanceof MqttPacket.Disconnect d)) {
      throw new AssertionError("expected one DISCONNECT, then the close; got " + got);
    }
    return d.reasonCode();
  }

  /** {@link #expectDisconnect()} with reason code {@code reasonCode}. */
  public void expectDisconnect(int reasonCode) {
    List<MqttPacket> got = expectClosed(WAIT);
    if (got.size() != 1 || !(got.get(0) instanceof MqttPacket.Disconnect d)) {
      throw new AssertionError("expected one DISCONNECT, then the close; got " + got);
    }
    if (d.reasonCode() != reasonCode) {
      throw new AssertionError(
          "DISCONNECT reason code: expected " + hex(reasonCode) + " but was "
              + hex(d.reasonCode()) + " (reason string: " + d.properties().reasonString + ")");
    }
  }

  /**
   * Asserts the server answers with exactly one CONNACK carrying {@code reasonCode} and closes
   * within {@link #WAIT} (a refused CONNECT).
   */
  public void expectConnAck(int reasonCode) {
    List<MqttPacket> got = expectClosed(WAIT);
    if (got.size() != 1 || !(got.get(0) instanceof ConnAck a)) {
      throw new AssertionError("expected one CONNACK, then the close; got " + got);
    }
    if (a.reasonCode() != reasonCode) {
      throw new AssertionError(
          "CONNACK reason code: expected " + hex(reasonCode) + " but was " + hex(a.reasonCode()));
    }
  }

  /** A reason code as the spec writes it, e.g. 0x81. */
  public static String hex(int code) {
    return String.format("0x%02X", code);
  }

  /** Whether end of stream (or a reset) was seen. */
  public boolean isClosed() {
    return eof;
  }

  /** Whether the connection ended with a reset (RST) rather than an end of stream (FIN). */
  public boolean wasReset() {
    return reset;
  }

  /** Packets read but not yet returned by {@link #read}. */
  public List<MqttPacket> pending() {
    return List.copyOf(received);
  }

  /** Reads once, up to {@code nanos}; false on timeout. Decoded packets go to {@code received}. */
  private boolean fill(long nanos) {
    try {
      socket.setSoTimeout((int) Math.max(1, nanos / 1_000_000));
      int n = in.read(buffer);
      if (n < 0) {
        eof = true;
        return true;
      }
      decoder.writeInbound(Unpooled.copiedBuffer(buffer, 0, n));
      Object o;
      while ((o = decoder.readInbound()) != null) {
        if (o instanceof DecodeFailure f) {
          throw new AssertionError("undecodable packet from the server: " + f.message());
        }
        received.addLast((MqttPacket) o);
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      // Connection reset counts as closed; wasReset() tells the two apart.
      eof = true;
      reset = true;
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private int nextPacketId() {
    int id = nextPacketId;
    nextPacketId = id == 0xFFFF ? 1 : id + 1;
    return id;
  }

  /** Half-closes: no more bytes from this side (FIN), reading goes on. */
  public void shutdownOutput() {
    try {
      socket.shutdownOutput();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes with a RST instead of a FIN, like a crashed or unplugged client. */
  public void abort() {
    try {
      socket.setSoLinger(true, 0);
    } catch (IOException ignored) {
      // closing anyway
    }
    close();
  }

  /** Closes the socket without DISCONNECT. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    decoder.finishAndReleaseAll();
  }
}
