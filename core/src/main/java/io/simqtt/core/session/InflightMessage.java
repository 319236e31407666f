package io.simqtt.core.session;

/**
 * An outbound QoS 1/2 publish the client has not finished acknowledging.
 *
 * @param released for QoS 2: PUBREC arrived and PUBREL was sent, PUBCOMP is awaited
 */
public record InflightMessage(int packetId, Delivery delivery, boolean released) {
  InflightMessage release() {
    return new InflightMessage(packetId, delivery, true);
  }
}
