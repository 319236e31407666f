package io.simqtt.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.simqtt.config.RetainedSettings;
import io.simqtt.core.cluster.RetainedStamp;
import io.simqtt.core.message.Message;
import io.simqtt.core.metrics.BrokerMetrics;
import io.simqtt.core.retain.MemoryRetainedStore;
import io.simqtt.core.retain.RetainedChanges;
import io.simqtt.core.retain.RetainedEntry;
import io.simqtt.core.retain.RetainedStore;
import io.simqtt.core.sys.SysTopics;
import io.simqtt.proto.store.RetainedRecord;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Retained messages in memory as {@link MemoryRetainedStore} keeps them (every read is served
 * there), with every change of an entry written through to a {@link DurableStore}: messages,
 * tombstones with their stamps, and tombstones forgotten. The memory store reports each change
 * under its topic's lock, so the writes of one topic are queued in the order they happened.
 *
 * <p>Opening loads the disk's entries into memory; a message whose deadline passed while the
 * node was down becomes the tombstone of its stamp, on disk too. A tombstone's retention starts
 * again at each load (its first time is not kept): it is remembered longer, never shorter. The
 * node's own $SYS figures are not written: they are published afresh after every start.
 */
public final class DiskRetainedStore implements RetainedStore {
  private final GroupCommitWriter writer;
  private final MemoryRetainedStore memory;
  /** False while the disk's own entries are loaded: changes then are there already. */
  private volatile boolean loaded;
  private final int loadedMessages;
  private final int loadedTombstones;

  private DiskRetainedStore(
      DurableStore store, RetainedSettings settings, LongSupplier clock, BrokerMetrics metrics) {
    this.writer = store.writer();
    this.memory = new MemoryRetainedStore(settings, clock, metrics, new DiskWrites());
    store.forEach(Family.RETAINED, (key, value) -> {
      String topic = Keys.topicOf(key);
      RetainedRecord r;
      try {
        r = RetainedRecord.parseFrom(value);
      } catch (InvalidProtocolBufferException e) {
        throw new StoreException(store.dataDir(), "is damaged: the retained entry of topic "
            + topic + " does not decode (" + e.getMessage() + ")", e);
      }
      Message message = r.hasMessage() ? CoreProtos.fromProto(r.getMessage()) : null;
      RetainedStamp stamp = new RetainedStamp(r.getHlc(), r.getOriginNode());
      memory.apply(topic, message, stamp);
      if (message != null && message.isExpired(clock.getAsLong())) {
        writer.put(Family.RETAINED, key, tombstone(stamp).toByteArray());
      }
    });
    this.loadedMessages = memory.size();
    this.loadedTombstones = memory.tombstoneCount();
    this.loaded = true;
  }

  /**
   * Loads the retained entries of {@code store}; a broker takes it through {@code
   * (settings, clock, metrics) -> DiskRetainedStore.open(store, settings, clock, metrics)}.
   *
   * @throws StoreException when an entry cannot be read or decoded
   */
  public static DiskRetainedStore open(
      DurableStore store, RetainedSettings settings, LongSupplier clock, BrokerMetrics metrics) {
    return new DiskRetainedStore(store, settings, clock, metrics);
  }

  /** Retained messages found at load (expired ones not counted). */
  public int loadedMessages() {
    return loadedMessages;
  }

  /** Tombstones found at load, expired messages included. */
  public int loadedTombstones() {
    return loadedTombstones;
  }

  /** Each change of an entry, as the memory store reports it, queued as a disk write. */
  private final class DiskWrites implements RetainedChanges {
    @Override
    public void changed(RetainedEntry entry) {
      if (!loaded || SysTopics.isSys(entry.topic())) {
        return;
      }
      RetainedRecord record =
          entry.isClear()
              ? tombstone(entry.stamp())
              : RetainedRecord.newBuilder()
                  .setMessage(CoreProtos.toProto(entry.message()))
                  .setHlc(entry.stamp().hlc())
                  .setOriginNode(entry.stamp().nodeId())
                  .build();
      writer.put(Family.RETAINED, Keys.topic(entry.topic()), record.toByteArray());
    }

    /** Also while loading: beyond the bound, the load itself forgets the oldest tombstones. */
    @Override
    public void forgotten(String topic) {
      if (!SysTopics.isSys(topic)) {
        writer.delete(Family.RETAINED, Keys.topic(topic));
      }
    }
  }

  private static RetainedRecord tombstone(RetainedStamp stamp) {
    return RetainedRecord.newBuilder().setHlc(stamp.hlc()).setOriginNode(stamp.nodeId()).build();
  }

  @Override
  public boolean apply(String topic, Message message, RetainedStamp stamp) {
    return memory.apply(topic, message, stamp);
  }

  @Override
  public Message get(String topic) {
    return memory.get(topic);
  }

  @Override
  public List<Message> match(String filter, long nowMillis) {
    return memory.match(filter, nowMillis);
  }

  @Override
  public List<RetainedEntry> entries() {
    return memory.entries();
  }

  @Override
  public int size() {
    return memory.size();
  }

  @Override
  public int tombstoneCount() {
    return memory.tombstoneCount();
  }

  @Override
  public void sweep() {
    memory.sweep();
  }
}
