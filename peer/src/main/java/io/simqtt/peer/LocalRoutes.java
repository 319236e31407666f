package io.simqtt.peer;

import io.simqtt.proto.peer.PeerFrame;
import io.simqtt.proto.peer.Route;
import io.simqtt.proto.peer.RouteSnapshot;
import io.simqtt.proto.peer.RouteUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The filters this node advertises, with their local subscription counts, and the frames that
 * advertise them: an update per change to every linked peer, a snapshot (in parts) to a link
 * coming up.
 */
final class LocalRoutes {
  private final LinkDirectory links;
  /** Guarded by itself, which also orders the updates handed to the links. */
  private final Map<String, Integer> counts = new HashMap<>();

  LocalRoutes(LinkDirectory links) {
    this.links = links;
  }

  void added(String filter) {
    synchronized (counts) {
      announce(filter, counts.merge(filter, 1, Integer::sum));
    }
  }

  void removed(String filter) {
    synchronized (counts) {
      Integer left = counts.computeIfPresent(filter, (f, n) -> n > 1 ? n - 1 : null);
      announce(filter, left == null ? 0 : left);
    }
  }

  /**
   * Hands the update to the links under the lock, so two changes of one filter reach every link
   * in the order they were made (updates carry the absolute count: the last one must win).
   */
  private void announce(String filter, int count) {
    links.sendToAll(
        PeerFrame.newBuilder()
            .setRouteUpdate(RouteUpdate.newBuilder().setRoute(route(filter, count)))
            .build());
  }

  /**
   * The whole table, in parts each well below the frame limit whatever the number of filters.
   * Copied under the lock and serialized outside it: an update made after the copy is handed to
   * the link after the snapshot's parts (the link's thread is sending them now), and carries the
   * newer count.
   */
  void sendSnapshot(Consumer<PeerFrame> send) {
    Map<String, Integer> copy;
    synchronized (counts) {
      copy = new HashMap<>(counts);
    }
    List<Route> routes = new ArrayList<>(copy.size());
    copy.forEach((f, n) -> routes.add(route(f, n)));
    FrameParts.inParts(routes, (part, more) -> send.accept(
        PeerFrame.newBuilder()
            .setRouteSnapshot(RouteSnapshot.newBuilder().addAllRoutes(part).setMore(more))
            .build()));
  }

  private static Route route(String filter, int count) {
    return Route.newBuilder().setFilter(filter).setCount(count).build();
  }
}
