package io.simqtt.core.server.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.simqtt.config.TlsSettings.Identity;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.security.auth.x500.X500Principal;

/** What names a client by the certificate it presented in the TLS handshake. */
public final class CertificateIdentity {

  /** Subject alternative name types taken for {@link Identity#SAN}, in RFC 5280 numbering. */
  private static final List<Integer> SAN_TYPES = List.of(1, 2, 6); // e-mail, DNS, URI

  private CertificateIdentity() {}

  /** The identity of the client on {@code channel}, or null: no TLS, no certificate, no name. */
  public static String of(Channel channel, Identity identity) {
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    if (tls == null) {
      return null;
    }
    Certificate[] chain;
    try {
      chain = tls.engine().getSession().getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    return chain.length > 0 && chain[0] instanceof X509Certificate leaf
        ? of(leaf, identity)
        : null;
  }

  static String of(X509Certificate cert, Identity identity) {
    return identity == Identity.CN ? commonName(cert) : firstAlternativeName(cert);
  }

  private static String commonName(X509Certificate cert) {
    try {
      LdapName name = new LdapName(cert.getSubjectX500Principal().getName(X500Principal.RFC2253));
      // RFC 2253 lists the most specific RDN first, LdapName the other way round.
      List<Rdn> rdns = name.getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return rdns.get(i).getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      return null;
    }
    return null;
  }

  private static String firstAlternativeName(X509Certificate cert) {
    Collection<List<?>> names;
    try {
      names = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return null;
    }
    if (names == null) {
      return null;
    }
    for (List<?> entry : names) {
      if (SAN_TYPES.contains((Integer) entry.get(0)) && entry.get(1) instanceof String s) {
        return s;
      }
    }
    return null;
  }
}
