package io.simqtt.store;

import io.simqtt.core.cluster.SeenForwards;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which forwards of each peer this node has taken, on a {@link DurableStore}: each record is a
 * write queued to the store's writer behind the copies it covers, so it shares their group
 * commit and is never durable before them. A watermark is one key per peer and incarnation,
 * rewritten as it rises; a range beyond it is a key of its own until the watermark passes it
 * (deleted in the same batch as that rise). An incarnation the peer left behind is deleted as one
 * range when the peer comes back as a new one (a few times a day at most, not per forward).
 */
public final class DiskSeenForwards implements SeenForwards {
  private final DurableStore store;
  private final GroupCommitWriter writer;

  public DiskSeenForwards(DurableStore store) {
    this.store = store;
    this.writer = store.writer();
  }

  @Override
  public void advance(String peerId, long incarnation, long through, Collection<Long> passed) {
    GroupCommitWriter.Writes w = new GroupCommitWriter.Writes()
        .put(Family.FORWARDS_SEEN, Keys.seen(peerId, incarnation), number(through));
    for (long first : passed) {
      w.delete(Family.FORWARDS_SEEN, Keys.seenRange(peerId, incarnation, first));
    }
    writer.write(w);
  }

  @Override
  public void range(String peerId, long incarnation, long first, long last) {
    writer.put(Family.FORWARDS_SEEN, Keys.seenRange(peerId, incarnation, first), number(last));
  }

  @Override
  public void forget(String peerId, long incarnation) {
    writer.write(new GroupCommitWriter.Writes().deleteRange(Family.FORWARDS_SEEN,
        Keys.seen(peerId, incarnation), Keys.seenEnd(peerId, incarnation)));
  }

  @Override
  public List<Seen> load() {
    Map<String, Map<Long, long[]>> throughs = new LinkedHashMap<>();
    Map<String, Map<Long, TreeMap<Long, Long>>> ranges = new LinkedHashMap<>();
    store.forEach(Family.FORWARDS_SEEN, (key, value) -> {
      String peer = Keys.clientIdOf(key);
      long incarnation = Keys.seqOf(key);
      if (value.length != 8) {
        throw new StoreException(store.dataDir(), "is damaged: a value of "
            + Family.FORWARDS_SEEN.name().toLowerCase() + " is " + value.length
            + " bytes long, not 8; left as it is");
      }
      long n = ByteBuffer.wrap(value).getLong();
      throughs.computeIfAbsent(peer, p -> new LinkedHashMap<>())
          .computeIfAbsent(incarnation, i -> new long[1]);
      if (Keys.isSeenRange(key)) {
        ranges.computeIfAbsent(peer, p -> new LinkedHashMap<>())
            .computeIfAbsent(incarnation, i -> new TreeMap<>())
            .put(Keys.rangeFirstOf(key), n);
      } else {
        throughs.get(peer).get(incarnation)[0] = n;
      }
    });
    List<Seen> seen = new ArrayList<>();
    throughs.forEach((peer, byIncarnation) -> byIncarnation.forEach((incarnation, through) ->
        seen.add(new Seen(peer, incarnation, through[0],
            ranges.getOrDefault(peer, Map.of()).getOrDefault(incarnation, new TreeMap<>())))));
    return seen;
  }

  private static byte[] number(long n) {
    return ByteBuffer.allocate(8).putLong(n).array();
  }
}
