package io.simqtt.peer;

/**
 * One peer link as operators see it (admin status, metrics).
 *
 * @param peerId the peer
 * @param state UP, HALF, CONNECTING or DOWN (see {@link PeerCluster#linkStates})
 * @param unacked QoS 1/2 forwards waiting for the peer's ack
 * @param sent forwards sent
 * @param resent forwards re-sent after a reconnect
 * @param droppedLinkDown QoS 0 forwards dropped while the link was down
 * @param droppedQueueFull forwards dropped because a bound was reached
 * @param droppedPeerRestarted unacknowledged forwards dropped because the peer restarted (its
 *     sessions were gone with its memory)
 * @param controlDropped frames kept for the link's return (claim answers) dropped at the bound
 * @param resyncs times the link started over because control frames waiting for the peer were
 *     over {@code cluster.max-link-backlog}
 * @param remoteRoutes filters the peer advertises to this node
 * @param duplicatesDropped forwards from the peer dropped here because they were seen before
 *     (re-sent after a reconnect, or after this node restarted from its store)
 * @param seenUnrecorded forwards from the peer whose record of being seen waited for the ones
 *     before them, past the bound of ranges kept beyond the watermark (a kill of this node then
 *     would deliver them again)
 * @param untrackedIncarnations earlier incarnations of the peer whose re-sent forwards a stream
 *     took with no record kept of what was taken before (past the bound of earlier incarnations
 *     kept, or not named by the peer's Hello): some may be delivered twice
 */
public record PeerLinkStats(
    String peerId,
    String state,
    long unacked,
    long sent,
    long resent,
    long droppedLinkDown,
    long droppedQueueFull,
    long droppedPeerRestarted,
    long controlDropped,
    long resyncs,
    long remoteRoutes,
    long duplicatesDropped,
    long seenUnrecorded,
    long untrackedIncarnations) {}
