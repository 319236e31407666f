/**
 * The load tool ({@link io.simqtt.bench.LoadMain}) that drives any MQTT broker with the project's
 * own codec, and the JMH micro-benchmarks of the hot paths (package {@code jmh}). Its conn-storm
 * scenario holds up to {@link io.simqtt.bench.LoadOptions#MAX_CONNECTIONS} idle connections with
 * keep alive {@code --keep-alive} (pinged by {@code KeepAlivePinger}) and reports
 * the broker's RSS per connection, overall and marginal (second half only). {@link
 * io.simqtt.bench.AllocationReport} reads a broker's JFR recording: bytes allocated per message
 * and where ({@code bin/bench-alloc.sh}).
 */
package io.simqtt.bench;
