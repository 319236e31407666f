package io.simqtt.peer;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 in front of one node's peer port, used by one other node to dial it,
 * so a test can cut that direction of the network: {@link #cut} closes every relayed connection
 * and refuses new ones (accepted and closed at once) until {@link #heal}. The nodes see what a
 * partition looks like to them: streams that end and redials that fail.
 */
final class LinkProxy implements AutoCloseable {
  private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean cut;

  LinkProxy(String host, int targetPort) {
    try {
      server = new ServerSocket(0, 50, InetAddress.getByName(host));
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + host, e);
    }
    target = new InetSocketAddress(host, targetPort);
    daemon(this::acceptLoop, "link-proxy-" + port() + "-to-" + targetPort);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Ends every relayed connection and refuses new ones. */
  void cut() {
    cut = true;
    closeAll();
  }

  /** Relays again. */
  void heal() {
    cut = false;
  }

  @Override
  public void close() {
    cut = true;
    closeQuietly(server);
    closeAll();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (cut) {
        closeQuietly(in);
        continue;
      }
      Socket out = new Socket();
      try {
        out.connect(target, CONNECT_TIMEOUT_MILLIS);
      } catch (IOException e) {
        closeQuietly(in); // the node behind is not running: the dialler sees a failed connect
        closeQuietly(out);
        continue;
      }
      open.add(in);
      open.add(out);
      if (cut) { // cut while connecting: closeAll may have run before these were added
        closeAll();
        continue;
      }
      daemon(() -> pump(in, out), "link-proxy-pump");
      daemon(() -> pump(out, in), "link-proxy-pump");
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream i = from.getInputStream();
      OutputStream o = to.getOutputStream();
      int n;
      while ((n = i.read(buf)) >= 0) {
        o.write(buf, 0, n);
        o.flush();
      }
    } catch (IOException ignored) {
      // one side closed or the link was cut: end both
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      open.remove(from);
      open.remove(to);
    }
  }

  private void closeAll() {
    for (Socket s : open) {
      closeQuietly(s);
      open.remove(s);
    }
  }

  private static void daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // best effort
    }
  }
}
