/**
 * Durable mode: a node's persistent sessions, the QoS 1/2 messages they hold and its retained
 * messages in a RocksDB store in its data directory ({@link io.simqtt.store.DurableStore}),
 * behind core's store interfaces ({@link io.simqtt.store.DiskSessionStore}, {@link
 * io.simqtt.store.DiskRetainedStore}). One writer thread commits every change in groups and runs
 * the actions waiting for them once they are durable. Nothing here is on any path in memory
 * mode.
 */
package io.simqtt.store;
