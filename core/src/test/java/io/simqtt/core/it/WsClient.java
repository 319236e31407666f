package io.simqtt.core.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.codec.PacketFramer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * MQTT over a WebSocket at the frame level, with the JDK's WebSocket client: what goes in each
 * frame is the test's choice (a packet split across frames, several packets in one, a text
 * frame), and what comes back is decoded with the project's codec. Close codes are kept.
 */
public final class WsClient implements AutoCloseable {
  private final WebSocket socket;
  private final BlockingQueue<MqttPacket> packets = new LinkedBlockingQueue<>();
  private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private final MqttVersion version;

  private WsClient(URI uri, SSLContext tls, Map<String, String> headers, MqttVersion version)
      throws Exception {
    this.version = version;
    HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (tls != null) {
      http.sslContext(tls);
    }
    WebSocket.Builder b = http.build().newWebSocketBuilder().subprotocols("mqtt");
    headers.forEach(b::header);
    socket = b.buildAsync(uri, new Reader()).get(10, TimeUnit.SECONDS);
  }

  /** Opens the WebSocket (subprotocol mqtt); fails when the upgrade is refused. */
  public static WsClient open(URI uri, SSLContext tls, Map<String, String> headers,
      MqttVersion version) throws Exception {
    return new WsClient(uri, tls, headers, version);
  }

  public static WsClient open(URI uri, MqttVersion version) throws Exception {
    return open(uri, null, Map.of(), version);
  }

  /** The subprotocol the server chose. */
  public String subprotocol() {
    return socket.getSubprotocol();
  }

  /** Sends {@code bytes} as one binary frame ({@code last}) or the start of a fragmented one. */
  public void frame(byte[] bytes, boolean last) throws Exception {
    socket.sendBinary(ByteBuffer.wrap(bytes), last).get(5, TimeUnit.SECONDS);
  }

  /** Sends {@code packets} back to back in one binary frame. */
  public void frame(MqttPacket... packets) throws Exception {
    ByteBuf all = Unpooled.buffer();
    for (MqttPacket p : packets) {
      all.writeBytes(RawClient.encode(p, version));
    }
    byte[] bytes = new byte[all.readableBytes()];
    all.readBytes(bytes);
    frame(bytes, true);
  }

  public void text(String text) throws Exception {
    socket.sendText(text, true).get(5, TimeUnit.SECONDS);
  }

  /** The next packet from the server, or a failure after {@code timeout}. */
  public <T extends MqttPacket> T expect(Class<T> type, Duration timeout) throws Exception {
    MqttPacket p = packets.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!type.isInstance(p)) {
      throw new AssertionError("expected " + type.getSimpleName() + ", got " + p);
    }
    return type.cast(p);
  }

  /** The status code of the server's Close frame, waiting up to {@code timeout}. */
  public int closeCode(Duration timeout) throws Exception {
    return closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    socket.abort();
  }

  private final class Reader implements WebSocket.Listener {
    private final PacketFramer framer = PacketFramer.forClient(version, 268_435_460);
    private final ByteBuf pending = Unpooled.buffer();

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      pending.writeBytes(data);
      Object p;
      while ((p = framer.next(pending)) != null) {
        if (p instanceof MqttPacket packet) {
          packets.add(packet);
        } else {
          closeCode.completeExceptionally(new AssertionError("undecodable: " + p));
        }
      }
      pending.discardReadBytes();
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeCode.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closeCode.completeExceptionally(error);
    }
  }
}
