package io.simqtt.core.protocol;

import io.simqtt.config.MqttSettings;
import io.simqtt.core.auth.Authentication;
import io.simqtt.core.cluster.Cluster;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.retain.RetainedStore;
import io.simqtt.core.routing.MessageRouter;
import io.simqtt.core.session.SessionRegistry;

/** The node-wide services every connection uses. */
public record ProtocolContext(
    MqttSettings settings,
    SessionRegistry sessions,
    MessageRouter router,
    RetainedStore retained,
    BrokerMetrics metrics,
    Cluster cluster,
    Authentication auth) {}
