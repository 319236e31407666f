package io.simqtt.core.cluster;

import java.util.List;

/**
 * What one other node gets of one message.
 *
 * @param nodeId the node
 * @param direct deliver to the node's ordinary matching subscriptions
 * @param shared shared subscriptions ("$share/g/f") for which this node chose that node
 * @param hops how often the shared deliveries were redirected between nodes before a member let
 *     them go to that node (0: routed); that node's member counts on from there
 */
public record ForwardCopy(String nodeId, boolean direct, List<String> shared, int hops) {}
