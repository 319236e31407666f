package io.simqtt.core.cluster;

import java.util.List;

/**
 * What one other node gets of one message.
 *
 * @param nodeId the node
 * @param direct deliver to the node's ordinary matching subscriptions
 * @param shared shared subscriptions ("$share/g/f") for which this node chose that node
 */
public record ForwardCopy(String nodeId, boolean direct, List<String> shared) {}
