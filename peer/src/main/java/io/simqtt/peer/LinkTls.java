package io.simqtt.peer;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.simqtt.config.ClusterSettings.PeerAddress;
import io.simqtt.config.ClusterSettings.PeerTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS between nodes (cluster.tls): the peer listener presents this node's certificate and
 * requires one from every peer; the links and the node-to-node admin calls present it when they
 * dial. Either side accepts only certificates that chain to the cluster CA, and says in the log
 * which peer's certificate it refused and why, counting each refusal.
 */
public final class LinkTls {
  private static final Logger LOG = LoggerFactory.getLogger(LinkTls.class);

  private final SslContext server;
  private final SslContext client;
  private final AtomicLong refused = new AtomicLong();

  /**
   * Reads the files now.
   *
   * @throws UncheckedIOException naming the problem when they do not load
   */
  public LinkTls(PeerTls files) {
    try {
      X509ExtendedTrustManager ca = new Checked(clusterCa(files));
      server = GrpcSslContexts.forServer(files.certFile().toFile(), files.keyFile().toFile())
          .trustManager(ca)
          .clientAuth(ClientAuth.REQUIRE)
          .build();
      client = GrpcSslContexts.forClient()
          .keyManager(files.certFile().toFile(), files.keyFile().toFile())
          .trustManager(ca)
          .build();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new UncheckedIOException(new IOException(
          "the files of cluster.tls do not load: " + e.getMessage(), e));
    }
  }

  SslContext serverContext() {
    return server;
  }

  /** A channel builder to {@code peer} over TLS, or plain when {@code tls} is null. */
  public static NettyChannelBuilder channel(PeerAddress peer, LinkTls tls) {
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(peer.host(), peer.port());
    return tls == null ? b.usePlaintext() : b.sslContext(tls.client);
  }

  /** Peer certificates refused since the start, on either side of a link. */
  public long refusedCertificates() {
    return refused.get();
  }

  private static X509ExtendedTrustManager clusterCa(PeerTls files)
      throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    try (InputStream in = Files.newInputStream(files.caFile())) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
    }
    if (i == 0) {
      throw new GeneralSecurityException("no certificate in " + files.caFile());
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
  }

  /** The CA's checks, with a log line and a count for each certificate they refuse. */
  private final class Checked extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager ca;

    Checked(X509ExtendedTrustManager ca) {
      this.ca = ca;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        ca.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        // gRPC's server makes its engines without the peer's address.
        throw refused(engine.getPeerHost() == null ? "a peer dialling in"
            : "a peer dialling from " + engine.getPeerHost() + ":" + engine.getPeerPort(),
            chain, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      try {
        ca.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw refused("the peer at " + engine.getPeerHost() + ":" + engine.getPeerPort(), chain,
            e);
      }
    }

    private CertificateException refused(String who, X509Certificate[] chain,
        CertificateException e) {
      LOG.atWarn().addKeyValue("reason", "peer_certificate_refused")
          .log("peer link refused: {} presented a certificate ({}) that does not chain to the"
              + " cluster CA: {}", who,
              chain.length == 0 ? "none" : chain[0].getSubjectX500Principal().getName(),
              e.getMessage());
      refused.incrementAndGet();
      return e;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      ca.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      ca.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      ca.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType)
        throws CertificateException {
      ca.checkServerTrusted(chain, authType);
    }

    /**
     * None named: the server's certificate request then lists no CA, so a peer sends its
     * certificate whatever its issuer and a wrong one is refused here, logged, rather than left
     * out by the peer's key manager and refused as missing, unlogged.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
