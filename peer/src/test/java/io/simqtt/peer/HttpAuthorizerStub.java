package io.simqtt.peer;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * The HTTP authorization service {@link StubHttpAuthorizer} asks, on 127.0.0.1 in the test's JVM:
 * each node asks under a path of its own (its id), so the service can be down for one node and
 * one client while it answers the others. It answers which topic prefixes a client may not
 * receive ({@link #denyReading}), or 503 while it is {@link #down} for the node and client.
 */
final class HttpAuthorizerStub implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, List<String>> deniedReads = new ConcurrentHashMap<>();
  /** "node/client" pairs answered 503. */
  private final Set<String> down = ConcurrentHashMap.newKeySet();

  HttpAuthorizerStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::answer);
    server.start();
  }

  /**
   * The JVM option that points a node process's plug-in here, under the node's own path ({@code
   * ${NODE}}, see {@link ProcessCluster#start(int, Path, String, java.util.List)}).
   */
  String jvmOption() {
    return "-D" + StubHttpAuthorizer.URL_PROPERTY + "=http://127.0.0.1:"
        + server.getAddress().getPort() + "/${NODE}";
  }

  /**
   * Writes a plug-in jar that names {@link StubHttpAuthorizer} into {@code dir}/plugins; returns
   * the config that makes it the node's only authorizer.
   */
  static String pluginConfig(Path dir) throws IOException {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    try (OutputStream out = Files.newOutputStream(plugins.resolve("stub-http.jar"));
        JarOutputStream jar = new JarOutputStream(out)) {
      jar.putNextEntry(new JarEntry("META-INF/services/io.simqtt.core.auth.Authorizer"));
      jar.write((StubHttpAuthorizer.class.getName() + "\n").getBytes(UTF_8));
      jar.closeEntry();
    }
    return "mqtt.auth { plugin-dir = \"" + plugins + "\", chain = [stub-http],"
        + " failure-delay = 0 }\n";
  }

  /** {@code clientId} may not receive topics that start with {@code prefix}. */
  void denyReading(String clientId, String prefix) {
    deniedReads.computeIfAbsent(clientId, c -> new CopyOnWriteArrayList<>()).add(prefix);
  }

  /** Node {@code node}'s questions about {@code clientId} are answered 503 from now on. */
  void down(String node, String clientId) {
    down.add(node + "/" + clientId);
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange) {
      String node = exchange.getRequestURI().getPath().substring(1);
      String query = exchange.getRequestURI().getRawQuery();
      String client = URLDecoder.decode(query.substring(query.indexOf('=') + 1), UTF_8);
      if (down.contains(node + "/" + client)) {
        exchange.sendResponseHeaders(503, -1);
        return;
      }
      byte[] body = String.join("\n", deniedReads.getOrDefault(client, List.of())).getBytes(UTF_8);
      exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        exchange.getResponseBody().write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
