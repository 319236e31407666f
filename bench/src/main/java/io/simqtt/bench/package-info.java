/**
 * The load tool ({@link io.simqtt.bench.LoadMain}) that drives any MQTT broker with the project's
 * own codec, and the JMH micro-benchmarks of the hot paths (package {@code jmh}).
 */
package io.simqtt.bench;
