package io.simqtt.config;

import io.simqtt.config.MqttListenerSettings.ClientAuth;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/** Reads mqtt.tls and checks it against the listeners that use it. */
final class TlsBinder {

  private static final String P = "mqtt.tls.";
  private static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  private TlsBinder() {}

  static TlsSettings bind(ConfigReader r, List<MqttListenerSettings> listeners) {
    Path cert = r.readableFileOrNone(P + "cert-file");
    Path key = r.readableFileOrNone(P + "key-file");
    String keyPassword = r.string(P + "key-password");
    Path ca = r.readableFileOrNone(P + "ca-file");
    List<String> protocols = r.strings(P + "protocols");
    if (protocols.isEmpty()) {
      throw r.conflict(P + "protocols", "is empty: name TLSv1.3, TLSv1.2 or both");
    }
    for (String p : protocols) {
      if (!PROTOCOLS.contains(p)) {
        throw r.conflict(P + "protocols", "names " + p + ": only TLSv1.2 and TLSv1.3 are offered");
      }
    }
    List<String> ciphers = r.strings(P + "ciphers");
    Duration reload = r.durationIn(P + "reload-interval", Duration.ZERO, Duration.ofDays(1));
    if (!reload.isZero() && reload.toMillis() < 100) {
      throw r.conflict(P + "reload-interval", "is below 100ms: use 0 to never check");
    }
    boolean asUser = r.bool(P + "identity-as-user-name");
    TlsSettings tls = new TlsSettings(cert, key, keyPassword.isEmpty() ? null : keyPassword, ca,
        protocols, ciphers, r.oneOf(P + "identity", TlsSettings.Identity.class), asUser, reload,
        r.oneOf(P + "provider", TlsSettings.Provider.class));
    for (MqttListenerSettings l : listeners) {
      if (!l.type().tls()) {
        continue;
      }
      String listener = ListenerBinder.PATH + "." + l.name();
      if (cert == null || key == null) {
        throw r.conflict(P + (cert == null ? "cert-file" : "key-file"), "is not set but "
            + listener + " (type " + l.type().word() + ") is enabled: set mqtt.tls.cert-file"
            + " and mqtt.tls.key-file (PEM)");
      }
      if (l.clientAuth() != ClientAuth.NONE && ca == null) {
        throw r.conflict(P + "ca-file", "is not set but " + listener + ".client-auth = "
            + l.clientAuth().name().toLowerCase(java.util.Locale.ROOT)
            + ": set the CA bundle client certificates must chain to");
      }
    }
    return tls;
  }
}
