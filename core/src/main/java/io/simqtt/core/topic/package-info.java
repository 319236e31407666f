/**
 * Topic names, topic filters and the subscription tree.
 *
 * <p>{@link io.simqtt.core.topic.Topics} holds the MQTT validation and matching rules; {@link
 * io.simqtt.core.topic.LevelTrie} is the one level-walking trie, used both for subscriptions
 * (keys are filters, queried by topic name) and for retained messages (keys are topic names,
 * queried by filter). Reads are lock-free so Netty event loops never block on a subscriber.
 */
package io.simqtt.core.topic;
