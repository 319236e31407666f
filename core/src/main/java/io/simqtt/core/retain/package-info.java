/**
 * Retained messages: the {@link io.simqtt.core.retain.RetainedStore} contract and its in-memory
 * implementation, which indexes topics in the same {@link io.simqtt.core.topic.LevelTrie} as the
 * subscriptions so a filter with a literal prefix only walks that part of the tree. A durable
 * store (module store) keeps that index and follows its changes through {@link
 * io.simqtt.core.retain.RetainedChanges}; the broker takes either through {@link
 * io.simqtt.core.retain.RetainedStoreFactory}.
 */
package io.simqtt.core.retain;
