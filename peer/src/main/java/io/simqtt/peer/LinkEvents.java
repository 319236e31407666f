package io.simqtt.peer;

import io.simqtt.core.cluster.LocalNode;
import io.simqtt.core.retain.RetainedEntry;
import io.simqtt.proto.peer.ClaimReply;
import io.simqtt.proto.peer.OwnedSession;
import io.simqtt.proto.peer.OwnedSessions;
import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.SharedReturn;
import io.simqtt.store.CoreProtos;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * What this node does as one of its outbound links comes up or goes down, and with what the
 * peer answers on it.
 */
final class LinkEvents implements OutboundLink.Listener {
  private final LocalNode node;
  private final LocalRoutes routes;
  private final ClaimBook claims;
  private final StartupRoutes startup;

  LinkEvents(LocalNode node, LocalRoutes routes, ClaimBook claims, StartupRoutes startup) {
    this.node = node;
    this.routes = routes;
    this.claims = claims;
    this.startup = startup;
  }

  /**
   * Full routes, the sessions held here and the retained state go first, so the peer reconciles
   * whatever it missed while the link was down.
   */
  @Override
  public void linkUp(OutboundLink link) {
    routes.sendSnapshot(link::sendOnLinkThread);
    sendOwnedSessions(link);
    Iterator<RetainedEntry> retained = node.retainedEntries().iterator();
    link.sendLazilyOnLinkThread(new Iterator<>() {
      @Override
      public boolean hasNext() {
        return retained.hasNext();
      }

      @Override
      public PeerFrame next() {
        RetainedEntry e = retained.next();
        return ProtoConvert.retainedFrame(e.topic(), e.message(), e.stamp(), true);
      }
    });
  }

  @Override
  public void linkDown(String peerId) {
    claims.onLinkDown(peerId);
    startup.settled(peerId); // unreachable for now: its routes come whenever it is back
  }

  @Override
  public void claimReply(String peerId, ClaimReply reply) {
    claims.onReply(peerId, reply);
  }

  @Override
  public void sharedReturned(String peerId, SharedReturn returned) {
    node.returnShared(
        CoreProtos.fromProto(returned.getMessage()),
        returned.getSharedList(),
        returned.getSharedHops(),
        peerId);
  }

  /** Which clients this node holds, for the peer to find any it took too during a partition. */
  private void sendOwnedSessions(OutboundLink link) {
    List<OwnedSession> owned = new ArrayList<>();
    node.forEachOwnedSession((clientId, stamp) ->
        owned.add(OwnedSession.newBuilder().setClientId(clientId).setStamp(stamp).build()));
    if (!owned.isEmpty()) {
      FrameParts.inParts(owned, (part, more) -> link.sendOnLinkThread(
          PeerFrame.newBuilder().setOwned(OwnedSessions.newBuilder().addAllSessions(part)).build()));
    }
  }
}
