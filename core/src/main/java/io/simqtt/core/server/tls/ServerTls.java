package io.simqtt.core.server.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.simqtt.config.MqttListenerSettings;
import io.simqtt.config.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS server side of one listener: a context built from the PEM files of mqtt.tls with the
 * listener's client-auth and the provider mqtt.tls.provider names, and rebuilt when the files change. New connections get the newest
 * context; open ones keep theirs. A change that does not load (a key that does not match, a file
 * half written) is logged and the old context stays, so a renewal gone wrong never takes a
 * listener down.
 */
public final class ServerTls {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  private final String listener;
  private final TlsSettings settings;
  private final ClientAuth clientAuth;
  private final SslProvider provider;
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong reloadFailures = new AtomicLong();
  private volatile SslContext context;
  /** The files as last read (size and modification time each); guarded by this. */
  private List<Object> stamp;

  /**
   * Reads the files now.
   *
   * @throws UncheckedIOException naming the listener and the problem when they do not load
   */
  public ServerTls(MqttListenerSettings listener, TlsSettings settings) {
    this.listener = listener.name();
    this.settings = settings;
    this.clientAuth = switch (listener.clientAuth()) {
      case NONE -> ClientAuth.NONE;
      case OPTIONAL -> ClientAuth.OPTIONAL;
      case REQUIRED -> ClientAuth.REQUIRE;
    };
    this.provider = provider(settings.provider(), this.listener);
    this.stamp = stamp();
    try {
      this.context = build();
    } catch (SSLException | RuntimeException e) {
      throw new UncheckedIOException(new IOException("mqtt.listeners." + this.listener
          + ": the TLS files of mqtt.tls do not load: " + rootMessage(e), e));
    }
  }

  /**
   * The implementation for {@code wanted}: BoringSSL where netty-tcnative loads (the release ships
   * it for Linux x86_64), as it encrypts with less CPU per byte than the JDK's.
   *
   * @throws UncheckedIOException when openssl is asked for and does not load here
   */
  static SslProvider provider(TlsSettings.Provider wanted, String listener) {
    boolean openSsl = OpenSsl.isAvailable();
    SslProvider chosen = switch (wanted) {
      case JDK -> SslProvider.JDK;
      case AUTO -> openSsl ? SslProvider.OPENSSL : SslProvider.JDK;
      case OPENSSL -> {
        if (!openSsl) {
          throw new UncheckedIOException(new IOException("mqtt.tls.provider = openssl, but"
              + " netty-tcnative does not load on this machine: "
              + rootMessage(OpenSsl.unavailabilityCause())
              + "; use auto or jdk"));
        }
        yield SslProvider.OPENSSL;
      }
    };
    LOG.info("listener {}: TLS by {}", listener,
        chosen == SslProvider.OPENSSL ? OpenSsl.versionString() : "the JDK (JSSE)");
    return chosen;
  }

  /** Which implementation this listener's connections use. */
  public SslProvider provider() {
    return provider;
  }

  /** A handler for a new connection, from the newest context. */
  public SslHandler newHandler(ByteBufAllocator alloc) {
    return context.newHandler(alloc);
  }

  /**
   * Rebuilds the context if a file changed since the last look (the acceptor's periodic check);
   * returns whether it did.
   */
  public synchronized boolean reloadIfChanged() {
    List<Object> now = stamp();
    if (now.equals(stamp)) {
      return false;
    }
    stamp = now;
    return rebuild("changed") == null;
  }

  /**
   * Reads the files again whether they changed or not (SIGHUP, the admin API's reload): null when
   * new connections get them, else what is wrong, and the previous ones stay.
   */
  public synchronized String reload() {
    stamp = stamp();
    return rebuild("were read again");
  }

  private String rebuild(String what) {
    try {
      context = build();
      reloads.incrementAndGet();
      LOG.info("listener {}: TLS certificate files {}, new connections use them", listener, what);
      return null;
    } catch (SSLException | RuntimeException e) {
      reloadFailures.incrementAndGet();
      String problem = rootMessage(e);
      LOG.warn("listener {}: TLS certificate files {} but do not load, keeping the previous"
          + " ones: {}", listener, what, problem);
      return problem;
    }
  }

  /** Successful reloads since the start. */
  public long reloads() {
    return reloads.get();
  }

  /** Changes that did not load. */
  public long reloadFailures() {
    return reloadFailures.get();
  }

  private SslContext build() throws SSLException {
    SslContextBuilder b = SslContextBuilder.forServer(
            settings.certFile().toFile(), settings.keyFile().toFile(), settings.keyPassword())
        .sslProvider(provider)
        .protocols(settings.protocols())
        .clientAuth(clientAuth);
    if (!settings.ciphers().isEmpty()) {
      b.ciphers(settings.ciphers());
    }
    if (clientAuth != ClientAuth.NONE) {
      b.trustManager(settings.caFile().toFile());
    }
    return b.build();
  }

  private List<Object> stamp() {
    List<Object> s = new ArrayList<>();
    for (Path p : new Path[] {settings.certFile(), settings.keyFile(), settings.caFile()}) {
      if (p == null) {
        continue;
      }
      try {
        s.add(Files.getLastModifiedTime(p).toMillis());
        s.add(Files.size(p));
      } catch (IOException e) {
        s.add(e.getClass().getSimpleName()); // gone for now: a change, and the build will say
      }
    }
    return s;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + t.getMessage();
  }
}
