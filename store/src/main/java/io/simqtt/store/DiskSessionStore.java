package io.simqtt.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.session.StoredMessage;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.Will;
import io.simqtt.core.topic.SubscriptionOptions;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.peer.SubscriptionState;
import io.simqtt.proto.store.SentRecord;
import io.simqtt.proto.store.SessionRecord;
import io.simqtt.proto.store.WillRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Persistent sessions on a {@link DurableStore}: each call becomes a write queued to its writer
 * thread, in the order the session made them (one session calls from one thread at a time), so
 * the disk ends as the session did. A message entry is its delivery, plus a small sent record
 * beside it once it went out, so marking it sent does not rewrite the message.
 */
public final class DiskSessionStore implements SessionStore {
  private final DurableStore store;
  private final GroupCommitWriter writer;
  public DiskSessionStore(DurableStore store) {
    this.store = store;
    this.writer = store.writer();
  }

  @Override
  public void saveSession(String clientId, StoredSession session) {
    writer.put(Family.SESSIONS, Keys.client(clientId), encode(session).toByteArray());
  }

  @Override
  public void deleteSession(String clientId) {
    byte[] start = Keys.client(clientId);
    byte[] end = Keys.clientEnd(clientId);
    writer.delete(Family.SESSIONS, start);
    writer.deleteRange(Family.MESSAGES, start, end);
    writer.deleteRange(Family.INBOUND_QOS2, start, end);
  }

  @Override
  public void addMessage(String clientId, long seq, Delivery delivery) {
    writer.put(
        Family.MESSAGES,
        Keys.message(clientId, seq, Keys.DELIVERY),
        CoreProtos.toProto(delivery).build().toByteArray());
  }

  @Override
  public void markSent(String clientId, long seq, int packetId, boolean released) {
    writer.put(
        Family.MESSAGES,
        Keys.message(clientId, seq, Keys.SENT),
        SentRecord.newBuilder().setPacketId(packetId).setReleased(released).build().toByteArray());
  }

  @Override
  public void removeMessage(String clientId, long seq) {
    writer.delete(Family.MESSAGES, Keys.message(clientId, seq, Keys.DELIVERY));
    writer.delete(Family.MESSAGES, Keys.message(clientId, seq, Keys.SENT));
  }

  @Override
  public void addInboundQos2(String clientId, int packetId) {
    writer.put(Family.INBOUND_QOS2, Keys.inboundQos2(clientId, packetId), new byte[0]);
  }

  @Override
  public void removeInboundQos2(String clientId, int packetId) {
    writer.delete(Family.INBOUND_QOS2, Keys.inboundQos2(clientId, packetId));
  }

  @Override
  public void afterDurable(Runnable action) {
    writer.afterDurable(action);
  }

  @Override
  public boolean isDurable() {
    return true;
  }

  /**
   * Everything on disk, as the contract says: sessions (with their inbound QoS 2 ids), then
   * message entries by client and seq. Expiry is not judged here: the broker, which knows the
   * rules (a will may be due), decides what of it is still alive.
   *
   * @throws StoreException when an entry cannot be read or decoded (a damaged store)
   */
  @Override
  public void load(Consumer<StoredSession> sessions, Consumer<StoredMessage> messages) {
    Map<String, Set<Integer>> inbound = new HashMap<>();
    store.forEach(Family.INBOUND_QOS2, (key, value) ->
        inbound.computeIfAbsent(Keys.clientIdOf(key), k -> new HashSet<>())
            .add(Keys.packetIdOf(key)));
    store.forEach(Family.SESSIONS, (key, value) -> {
      String clientId = Keys.clientIdOf(key);
      SessionRecord r = parse(key, () -> SessionRecord.parseFrom(value));
      sessions.accept(decode(clientId, r, inbound.getOrDefault(clientId, Set.of())));
    });
    MessageJoin join = new MessageJoin(messages);
    store.forEach(Family.MESSAGES, join::entry);
    join.finish();
  }

  /**
   * Pairs each delivery with the sent record after it (same client and seq) as the entries come
   * in key order, and hands on each message entry once it is complete.
   */
  private final class MessageJoin {
    private final Consumer<StoredMessage> out;
    private String clientId;
    private long seq;
    private Delivery delivery;

    MessageJoin(Consumer<StoredMessage> out) {
      this.out = out;
    }

    void entry(byte[] key, byte[] value) {
      String id = Keys.clientIdOf(key);
      long s = Keys.seqOf(key);
      if (Keys.kindOf(key) == Keys.DELIVERY) {
        flush(0, false);
        clientId = id;
        seq = s;
        delivery = CoreProtos.fromProto(parse(key, () -> DeliveryState.parseFrom(value)));
        return;
      }
      SentRecord sent = parse(key, () -> SentRecord.parseFrom(value));
      if (delivery == null || s != seq || !id.equals(clientId)) {
        throw new StoreException(store.dataDir(), "is damaged: message " + s + " of client "
            + id + " has a sent record but no message");
      }
      flush(sent.getPacketId(), sent.getReleased());
    }

    void finish() {
      flush(0, false);
    }

    private void flush(int packetId, boolean released) {
      if (delivery != null) {
        out.accept(new StoredMessage(clientId, seq, delivery, packetId, released));
        delivery = null;
      }
    }
  }

  static SessionRecord encode(StoredSession s) {
    SessionRecord.Builder b =
        SessionRecord.newBuilder()
            .setExpiryInterval(s.expiryInterval())
            .setOfflineSinceMillis(s.offlineSinceMillis())
            .setLastPacketId(s.lastPacketId());
    s.subscriptions().forEach((filter, o) -> b.addSubscriptions(CoreProtos.toProto(filter, o)));
    Will will = s.will();
    if (will != null) {
      b.setWill(
          WillRecord.newBuilder()
              .setMessage(CoreProtos.toProto(will.message()))
              .setDelaySeconds(will.delaySeconds())
              .setExpirySeconds(will.expirySeconds()));
    }
    return b.build();
  }

  static StoredSession decode(String clientId, SessionRecord r, Set<Integer> inboundQos2) {
    Map<String, SubscriptionOptions> subscriptions = new LinkedHashMap<>();
    for (SubscriptionState s : r.getSubscriptionsList()) {
      subscriptions.put(s.getFilter(), CoreProtos.fromProto(s));
    }
    Will will =
        r.hasWill()
            ? new Will(
                CoreProtos.fromProto(r.getWill().getMessage()),
                r.getWill().getDelaySeconds(),
                r.getWill().getExpirySeconds())
            : null;
    return new StoredSession(
        clientId,
        subscriptions,
        r.getExpiryInterval(),
        will,
        r.getOfflineSinceMillis(),
        r.getLastPacketId(),
        inboundQos2);
  }

  /** A value that does not decode is damage, reported with the store's path. */
  private <T> T parse(byte[] key, Parser<T> parser) {
    try {
      return parser.parse();
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException(store.dataDir(), "is damaged: the entry of client "
          + Keys.clientIdOf(key) + " does not decode (" + e.getMessage() + ")", e);
    }
  }

  @FunctionalInterface
  private interface Parser<T> {
    T parse() throws InvalidProtocolBufferException;
  }
}
