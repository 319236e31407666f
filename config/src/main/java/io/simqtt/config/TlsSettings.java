package io.simqtt.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the tls and wss listeners present and accept.
 *
 * @param certFile PEM certificate chain, the node's first; null when no TLS listener needs it
 * @param keyFile PEM (PKCS#8) private key of that certificate; null likewise
 * @param keyPassword password of an encrypted key, or null
 * @param caFile PEM CA certificates client certificates must chain to, or null
 * @param protocols TLS versions offered
 * @param ciphers cipher suites in order of preference; empty = the provider's defaults
 * @param identity what names a client by its certificate
 * @param identityAsUserName a client with a valid certificate connects as that identity's user
 * @param reloadInterval how often the files are checked for changes; zero = never
 * @param provider which TLS implementation encrypts
 */
public record TlsSettings(
    Path certFile,
    Path keyFile,
    String keyPassword,
    Path caFile,
    List<String> protocols,
    List<String> ciphers,
    Identity identity,
    boolean identityAsUserName,
    Duration reloadInterval,
    Provider provider) {

  /** What names a client by its certificate. */
  public enum Identity {
    /** The subject's common name. */
    CN,
    /** The first DNS name, e-mail or URI subject alternative name. */
    SAN
  }

  /** Which TLS implementation encrypts. */
  public enum Provider {
    /** OpenSSL (BoringSSL, from netty-tcnative) when it loads on this machine, else the JDK's. */
    AUTO,
    /** The JDK's own (JSSE). */
    JDK,
    /** BoringSSL through netty-tcnative; the node does not start where it does not load. */
    OPENSSL
  }

  /** No TLS listener: nothing to present. */
  public static final TlsSettings NONE = new TlsSettings(null, null, null, null,
      List.of("TLSv1.3", "TLSv1.2"), List.of(), Identity.CN, false, Duration.ZERO, Provider.AUTO);

  public TlsSettings {
    protocols = List.copyOf(protocols);
    ciphers = List.copyOf(ciphers);
  }
}
