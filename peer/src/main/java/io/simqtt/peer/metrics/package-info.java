/**
 * The Prometheus text endpoint of a node. Metrics read core's {@code BrokerMetrics} and the peer
 * links' counters through callbacks at scrape time, so no counter is kept twice.
 */
package io.simqtt.peer.metrics;
