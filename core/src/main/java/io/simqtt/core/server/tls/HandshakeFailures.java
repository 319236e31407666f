package io.simqtt.core.server.tls;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.simqtt.core.protocol.ClientAddress;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches each TLS handshake of one listener: a failure is logged with the client's address and
 * a reason an operator can act on, and counted by that reason; a success removes the handler, so
 * an established connection does not carry it.
 */
@Sharable
public final class HandshakeFailures extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(HandshakeFailures.class);

  /** Why handshakes fail, as counted and logged. */
  public enum Reason {
    /** The client sent something that is not TLS (plain MQTT to a TLS port, say). */
    NOT_TLS,
    /** The listener requires a client certificate and none came. */
    NO_CLIENT_CERTIFICATE,
    /** The client's certificate has expired or is not valid yet. */
    CERTIFICATE_EXPIRED,
    /** The client's certificate does not chain to mqtt.tls.ca-file. */
    UNKNOWN_CA,
    /** No TLS version or cipher suite both sides accept. */
    NO_COMMON_PARAMETERS,
    /** The client refused the node's certificate (it told us so with an alert). */
    REFUSED_BY_CLIENT,
    /** The handshake did not finish in time. */
    TIMEOUT,
    /** Anything else. */
    OTHER;

    /** As in metrics labels: lower case with underscores. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String listener;
  private final Map<Reason, LongAdder> counts = new ConcurrentHashMap<>();

  public HandshakeFailures(String listener) {
    this.listener = listener;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        ctx.pipeline().remove(this);
      } else {
        Reason reason = reasonOf(done.cause());
        counts.computeIfAbsent(reason, r -> new LongAdder()).increment();
        LOG.atInfo().addKeyValue("reason", reason.label())
            .log("listener {}: TLS handshake with {} failed ({}): {}", listener,
                ClientAddress.text(ctx.channel()), reason.label(),
                ServerTls.rootMessage(done.cause()));
      }
    }
    super.userEventTriggered(ctx, evt);
  }

  /** Failed handshakes by reason, since the start; reasons never seen are left out. */
  public Map<Reason, Long> byReason() {
    Map<Reason, Long> m = new TreeMap<>();
    counts.forEach((r, n) -> m.put(r, n.sum()));
    return m;
  }

  static Reason reasonOf(Throwable failure) {
    String text = "";
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NotSslRecordException) {
        return Reason.NOT_TLS;
      }
      if (t instanceof SslHandshakeTimeoutException) {
        return Reason.TIMEOUT;
      }
      if (t instanceof CertificateExpiredException
          || t instanceof CertificateNotYetValidException) {
        return Reason.CERTIFICATE_EXPIRED;
      }
      if (t instanceof CertPathValidatorException v
          && v.getReason() == CertPathValidatorException.BasicReason.EXPIRED) {
        return Reason.CERTIFICATE_EXPIRED;
      }
      if (t instanceof CertPathBuilderException) {
        return Reason.UNKNOWN_CA;
      }
      text += " " + String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
    }
    // JSSE's messages and BoringSSL's error names (mqtt.tls.provider) both
    if (text.contains("empty client certificate chain") || text.contains("null cert chain")
        || text.contains("certificate_required")
        || text.contains("peer_did_not_return_a_certificate")) {
      return Reason.NO_CLIENT_CERTIFICATE;
    }
    if (text.contains("unable to find valid certification path")
        || text.contains("unknown_ca") || text.contains("signature check failed")) {
      return Reason.UNKNOWN_CA;
    }
    if (text.contains("no cipher suites in common") || text.contains("protocol_version")
        || text.contains("no appropriate protocol") || text.contains("handshake_failure")
        || text.contains("unsupported protocol") || text.contains("unsupported_protocol")
        || text.contains("no_shared_cipher")) {
      return Reason.NO_COMMON_PARAMETERS;
    }
    if (text.contains("received fatal alert") || text.contains("tlsv1_alert_")
        || text.contains("bad_certificate")
        || text.contains("certificate_unknown")) {
      return Reason.REFUSED_BY_CLIENT;
    }
    return Reason.OTHER;
  }
}
