/** Counters a node keeps about its traffic, drops and state; read by logs, tests and exporters. */
package io.simqtt.core.metrics;
