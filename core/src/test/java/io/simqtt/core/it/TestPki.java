package io.simqtt.core.it;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.net.Socket;
import java.security.Principal;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the openssl command (EC P-256 keys, PKCS#8 PEM): a CA,
 * and certificates it signs for servers and clients, valid now or expired. Shared with peer's
 * tests through core's test-jar.
 */
public final class TestPki {
  private final Path dir;
  private int serial;

  /** A PEM certificate and its key. */
  public record Issued(Path cert, Path key) {}

  /** A CA: its certificate and key, and where the certificates it signs go. */
  public final class Ca {
    private final String name;
    private final Issued self;

    private Ca(String name, Issued self) {
      this.name = name;
      this.self = self;
    }

    public Path cert() {
      return self.cert();
    }

    /** A server certificate for localhost and 127.0.0.1, valid from now for a day. */
    public Issued server(String cn) throws IOException {
      return issue(cn, "DNS:localhost,IP:127.0.0.1", null, null);
    }

    /** A client certificate with subject CN {@code cn}, valid from now for a day. */
    public Issued client(String cn) throws IOException {
      return issue(cn, null, null, null);
    }

    /** A client certificate with subject CN {@code cn} and the given subject alternative names. */
    public Issued client(String cn, String subjectAltNames) throws IOException {
      return issue(cn, subjectAltNames, null, null);
    }

    /** A certificate that expired in 2020. */
    public Issued expired(String cn) throws IOException {
      return issue(cn, "DNS:localhost,IP:127.0.0.1", "20200101000000Z", "20200102000000Z");
    }

    private Issued issue(String cn, String sans, String start, String end) throws IOException {
      String base = name + "-" + cn + "-" + (++serial);
      Path key = dir.resolve(base + ".key");
      Path csr = dir.resolve(base + ".csr");
      Path cert = dir.resolve(base + ".pem");
      Path ext = Files.writeString(dir.resolve(base + ".ext"),
          "basicConstraints = CA:FALSE\n"
              + "keyUsage = digitalSignature, keyEncipherment\n"
              + "extendedKeyUsage = serverAuth, clientAuth\n"
              + (sans == null ? "" : "subjectAltName = " + sans + "\n"));
      openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + cn);
      Path db = dir.resolve(name + ".db");
      if (!Files.exists(db)) {
        Files.writeString(db, "");
      }
      Path conf = Files.writeString(dir.resolve(name + ".cnf"),
          "[ca]\ndefault_ca = signing\n[signing]\n"
              + "database = " + db + "\nnew_certs_dir = " + dir + "\n"
              + "serial = " + dir.resolve(name + ".serial") + "\n"
              + "default_md = sha256\npolicy = any\nunique_subject = no\n"
              + "[any]\ncommonName = supplied\n");
      Path serialFile = dir.resolve(name + ".serial");
      if (!Files.exists(serialFile)) {
        Files.writeString(serialFile, "1000\n");
      }
      List<String> args = new ArrayList<>(List.of("ca", "-batch", "-notext", "-config",
          conf.toString(), "-cert", self.cert().toString(), "-keyfile", self.key().toString(),
          "-in", csr.toString(), "-out", cert.toString(), "-extfile", ext.toString()));
      if (start != null) {
        args.addAll(List.of("-startdate", start, "-enddate", end));
      } else {
        args.addAll(List.of("-days", "1"));
      }
      openssl(args.toArray(String[]::new));
      return new Issued(cert, key);
    }
  }

  /** Trusts the certificates in the PEM file {@code caCert}. */
  public static TrustManagerFactory trust(Path caCert) throws GeneralSecurityException,
      IOException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    int i = 0;
    try (InputStream in = Files.newInputStream(caCert)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    return tmf;
  }

  /** Presents {@code issued} as this side's certificate. */
  public static KeyManagerFactory identity(Issued issued) throws GeneralSecurityException,
      IOException {
    String pem = Files.readString(issued.key());
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    PrivateKey key = KeyFactory.getInstance("EC")
        .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    Certificate[] chain;
    try (InputStream in = Files.newInputStream(issued.cert())) {
      chain = CertificateFactory.getInstance("X.509").generateCertificates(in)
          .toArray(Certificate[]::new);
    }
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("me", key, new char[0], chain);
    KeyManagerFactory real =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    real.init(ks, new char[0]);
    X509KeyManager always = new AlwaysPresent((X509KeyManager) real.getKeyManagers()[0]);
    return new KeyManagerFactory(new KeyManagerFactorySpi() {
      @Override
      protected void engineInit(KeyStore keyStore, char[] password) {}

      @Override
      protected void engineInit(ManagerFactoryParameters spec) {}

      @Override
      protected KeyManager[] engineGetKeyManagers() {
        return new KeyManager[] {always};
      }
    }, real.getProvider(), real.getAlgorithm()) {};
  }

  /**
   * Presents its one certificate whatever CAs the server names, as a misconfigured or hostile
   * client would: the JDK's own key manager sends none when the issuer is not among them, which
   * would hide a server that fails to check the chain.
   */
  private static final class AlwaysPresent extends X509ExtendedKeyManager {
    private final X509KeyManager delegate;

    AlwaysPresent(X509KeyManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "me";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine e) {
      return "me";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"me"};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return new String[] {"me"};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return "me";
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine e) {
      return "me";
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }
  }

  /** A client SSLContext trusting {@code caCert}, presenting {@code client} unless null. */
  public static SSLContext clientContext(Path caCert, Issued client)
      throws GeneralSecurityException, IOException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(client == null ? null : identity(client).getKeyManagers(),
        trust(caCert).getTrustManagers(), null);
    return ctx;
  }

  public TestPki(Path dir) {
    this.dir = dir;
  }

  /** A self-signed CA named {@code name}, valid from now for a day. */
  public Ca ca(String name) throws IOException {
    Path key = dir.resolve(name + "-ca.key");
    Path cert = dir.resolve(name + "-ca.pem");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "1",
        "-subj", "/CN=" + name + " test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    return new Ca(name, new Issued(cert, key));
  }

  private void openssl(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .start();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("openssl " + args[0] + " did not finish in 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
    }
  }
}
