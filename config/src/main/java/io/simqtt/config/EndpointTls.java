package io.simqtt.config;

import java.nio.file.Path;

/**
 * The certificate an operator-facing endpoint (admin API, metrics) presents over TLS.
 *
 * @param certFile PEM certificate chain
 * @param keyFile its PEM (PKCS#8) private key
 */
public record EndpointTls(Path certFile, Path keyFile) {

  /** The tls block under {@code section} (admin, metrics): null when not enabled. */
  static EndpointTls read(ConfigReader r, String section) {
    String p = section + ".tls.";
    if (!r.bool(p + "enabled")) {
      return null;
    }
    Path cert = r.readableFileOrNone(p + "cert-file");
    Path key = r.readableFileOrNone(p + "key-file");
    if (cert == null || key == null) {
      throw r.conflict(p + (cert == null ? "cert-file" : "key-file"),
          "is not set but " + p + "enabled = true: set cert-file and key-file (PEM)");
    }
    return new EndpointTls(cert, key);
  }
}
