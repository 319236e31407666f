package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.codec.MqttVersion;
import io.simqtt.core.it.RawClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy's modes against a plain echo server, then on a real cluster's links. */
@Timeout(60)
class FaultProxyTest {
  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  private ServerSocket echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getByName(ClusterFixture.HOST));
    Thread t = new Thread(this::echoLoop, "echo-accept");
    t.setDaemon(true);
    t.start();
    proxy = new FaultProxy("test", new InetSocketAddress(ClusterFixture.HOST, echo.getLocalPort()));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void passEchoes() throws IOException {
    try (Socket s = open()) {
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 2_000));
    }
  }

  @Test
  void delayHoldsEachChunkForItsTime() throws IOException {
    proxy.mode(FaultProxy.Direction.UPSTREAM, FaultProxy.Mode.delay(300));
    try (Socket s = open()) {
      long t0 = System.nanoTime();
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 3_000));
      long tookMillis = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(tookMillis >= 290, "delayed by " + tookMillis + " ms");
    }
  }

  @Test
  void blackHoleKeepsTheConnectionSilentAndHealResetsIt() throws IOException {
    try (Socket s = open()) {
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 2_000));

      proxy.mode(FaultProxy.Mode.BLACK_HOLE);
      s.getOutputStream().write(HELLO);
      // Neither bytes nor a close: the read times out, the connection is still open.
      s.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
      assertEquals(1, proxy.connectionCount());

      // A new connection is accepted and hears nothing either.
      try (Socket s2 = open()) {
        s2.getOutputStream().write(HELLO);
        s2.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> s2.getInputStream().read());
      }

      // Bytes were lost: healing resets the connection instead of resuming a broken stream.
      proxy.mode(FaultProxy.Mode.PASS);
      s.setSoTimeout(2_000);
      assertClosedOrReset(s);
    }
    try (Socket s = open()) {
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 2_000), "new connections pass again");
    }
  }

  @Test
  void cutResetsOpenConnectionsAndRefusesNewOnes() throws IOException {
    try (Socket s = open()) {
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 2_000));
      proxy.mode(FaultProxy.Mode.CUT);
      s.setSoTimeout(2_000);
      assertClosedOrReset(s);
    }
    try (Socket s = open()) {
      s.setSoTimeout(2_000);
      assertClosedOrReset(s);
    }
    proxy.mode(FaultProxy.Mode.PASS);
    try (Socket s = open()) {
      s.getOutputStream().write(HELLO);
      assertArrayEquals(HELLO, readN(s, HELLO.length, 2_000));
    }
  }

  @Test
  void aPartitionedClusterLinkComesBackAfterHeal() {
    try (ClusterFixture f = ClusterFixture.startProxied(2, "");
        RawClient sub = f.raw(1, MqttVersion.MQTT_5)) {
      sub.connect("fp-sub");
      f.partition(0, 1);
      // The route update n2 sends for this is swallowed by the black hole ...
      sub.subscribe("fp/#", 1);
      assertFalse(f.routes(0, "fp/x", 1), "n1 cannot know of the route yet");
      // ... so healing resets that connection, n2 dials again and its snapshot brings it.
      f.heal(0, 1);
      f.awaitHealed(ClusterFixture.WAIT);
      f.awaitRoute(0, "fp/x", 1);
    }
  }

  private Socket open() throws IOException {
    Socket s = new Socket(ClusterFixture.HOST, proxy.port());
    s.setTcpNoDelay(true);
    return s;
  }

  private static byte[] readN(Socket s, int n, int timeoutMillis) throws IOException {
    s.setSoTimeout(timeoutMillis);
    byte[] out = new byte[n];
    InputStream in = s.getInputStream();
    for (int got = 0; got < n; ) {
      int r = in.read(out, got, n - got);
      if (r < 0) {
        throw new IOException("closed after " + got + " bytes");
      }
      got += r;
    }
    return out;
  }

  private static void assertClosedOrReset(Socket s) throws IOException {
    try {
      assertEquals(-1, s.getInputStream().read(), "EOF");
    } catch (SocketException reset) {
      // Connection reset: what CUT and a heal after a black hole send.
    }
  }

  private void echoLoop() {
    while (!echo.isClosed()) {
      try {
        Socket s = echo.accept();
        Thread t = new Thread(() -> {
          try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            in.transferTo(out);
          } catch (IOException ignored) {
            // peer went away
          }
        }, "echo");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }
}
