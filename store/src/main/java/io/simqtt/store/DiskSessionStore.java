package io.simqtt.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.message.Message;
import io.simqtt.core.session.Delivery;
import io.simqtt.core.session.DueWill;
import io.simqtt.core.session.SessionImport;
import io.simqtt.core.session.SessionStore;
import io.simqtt.core.session.StoredBacklog;
import io.simqtt.core.session.StoredMessage;
import io.simqtt.core.session.StoredRedirect;
import io.simqtt.core.session.StoredSession;
import io.simqtt.core.session.Will;
import io.simqtt.core.session.WriteHold;
import io.simqtt.proto.peer.AppMessage;
import io.simqtt.proto.peer.DeliveryState;
import io.simqtt.proto.store.ClientIdentityRecord;
import io.simqtt.proto.store.RedirectRecord;
import io.simqtt.proto.store.SentRecord;
import io.simqtt.proto.store.SessionRecord;
import io.simqtt.proto.store.UncheckedWillRecord;
import io.simqtt.proto.store.WillRecord;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Persistent sessions on a {@link DurableStore}: each call becomes a write queued to its writer
 * thread, in the order the session made them (one session calls from one thread at a time), so
 * the disk ends as the session did. A message entry is its delivery, plus a small sent record
 * beside it once it went out, so marking it sent does not rewrite the message. A page of a
 * session's queue is read from its own key range, after the writes queued before the request are
 * in the database.
 */
public final class DiskSessionStore implements SessionStore {
  /** How long a synchronous read waits for the writes before it (a disk that stalls). */
  private static final long WRITES_WAIT_SECONDS = 30;

  private final DurableStore store;
  private final GroupCommitWriter writer;
  /** The highest number a due will has had: the next one is above every one kept. */
  private final AtomicLong lastWillId = new AtomicLong();
  /**
   * Each import begun and not ended, by client and first seq: what deletes the client's entries
   * meanwhile leaves their ranges (see {@link SessionStore#beginImport}).
   */
  private final ActiveImports imports = new ActiveImports();

  public DiskSessionStore(DurableStore store) {
    this.store = store;
    this.writer = store.writer();
    store.forEach(Family.DUE_WILLS,
        (key, value) -> lastWillId.accumulateAndGet(Keys.seqOf(key), Math::max));
  }

  @Override
  public void saveSession(String clientId, StoredSession session) {
    writer.put(Family.SESSIONS, Keys.client(clientId), encode(session).toByteArray());
  }

  @Override
  public void deleteSession(String clientId) {
    NavigableMap<Long, Long> active = imports.ranges(clientId);
    writer.write(deletion(clientId, active, active));
  }

  /** The session's deletion and the redirect's record, in one batch. */
  @Override
  public void redirectSession(StoredRedirect redirect) {
    String clientId = redirect.clientId();
    NavigableMap<Long, Long> active = imports.ranges(clientId);
    RedirectRecord.Builder r = RedirectRecord.newBuilder().setNewOwner(redirect.newOwner())
        .setMovedAtMillis(redirect.movedAtMillis())
        .setLineage(redirect.lineage());
    redirect.subscriptions()
        .forEach((filter, o) -> r.addSubscriptions(CoreProtos.toProto(filter, o)));
    writer.write(deletion(clientId, active, active)
        .put(Family.REDIRECTS, Keys.client(clientId), r.build().toByteArray()));
  }

  @Override
  public void endRedirect(String clientId) {
    writer.delete(Family.REDIRECTS, Keys.client(clientId));
  }

  @Override
  public List<StoredRedirect> redirects() {
    List<StoredRedirect> kept = new ArrayList<>();
    store.forEach(Family.REDIRECTS, (key, value) -> {
      RedirectRecord r = parse(key, () -> RedirectRecord.parseFrom(value));
      kept.add(new StoredRedirect(Keys.clientIdOf(key), r.getNewOwner(),
          CoreProtos.fromProto(r.getSubscriptionsList()), r.getMovedAtMillis(),
          r.getLineage()));
    });
    return kept;
  }

  /** In one batch with what follows: a crash leaves the old state or the new one whole. */
  @Override
  public void writeSession(
      StoredSession session, List<StoredMessage> messages, boolean replace) {
    String clientId = session.clientId();
    // Without replace nothing is kept of it, but an inbound QoS 2 id written with the copies of
    // its message (from the thread of their last target) may have come after the session was
    // last deleted: it goes, as it is no id of this session.
    // Either way a finished import's mark ends: this is its install, and its entries are the
    // session's now; one still arriving keeps its mark and entries (see beginImport).
    ActiveImports.Install install = imports.install(clientId);
    GroupCommitWriter.Writes w = replace
        ? deletion(clientId, install.entries(), install.marks())
        : deleteOutside(new GroupCommitWriter.Writes()
            .delete(Family.REDIRECTS, Keys.client(clientId))
            .deleteRange(Family.INBOUND_QOS2, Keys.client(clientId), Keys.clientEnd(clientId)),
            Family.IMPORTS, clientId, install.marks(), Keys::importMark);
    w.put(Family.SESSIONS, Keys.client(clientId), encode(session).toByteArray());
    for (StoredMessage m : messages) {
      w.put(Family.MESSAGES, Keys.message(clientId, m.seq(), Keys.DELIVERY),
          CoreProtos.toProto(m.delivery()).build().toByteArray());
      if (m.packetId() != 0) {
        w.put(Family.MESSAGES, Keys.message(clientId, m.seq(), Keys.SENT),
            sentRecord(m.packetId(), m.released()));
      }
    }
    for (int packetId : session.inboundQos2()) {
      w.put(Family.INBOUND_QOS2, Keys.inboundQos2(clientId, packetId), new byte[0]);
    }
    writer.write(w);
  }

  /** The mark's key holds the import's first seq (format version 5). */
  @Override
  public void beginImport(String clientId, long firstSeq) {
    imports.begin(clientId, firstSeq);
    writer.put(Family.IMPORTS, Keys.importMark(clientId, firstSeq), new byte[0]);
  }

  @Override
  public void finishImport(String clientId, long firstSeq) {
    imports.finish(clientId, firstSeq);
  }

  @Override
  public void abandonImport(String clientId, long firstSeq) {
    long end = imports.abandon(clientId, firstSeq);
    writer.write(importDeletion(clientId, firstSeq, end, Keys.importMark(clientId, firstSeq)));
  }

  @Override
  public long lastImport(String clientId) {
    return imports.last(clientId);
  }

  /** The entries of an import's range, from {@code firstSeq} to {@code end}, and its mark. */
  private static GroupCommitWriter.Writes importDeletion(
      String clientId, long firstSeq, long end, byte[] mark) {
    return new GroupCommitWriter.Writes()
        .deleteRange(Family.MESSAGES, Keys.message(clientId, firstSeq, Keys.DELIVERY),
            Keys.message(clientId, end, Keys.DELIVERY))
        .delete(Family.IMPORTS, mark);
  }

  /**
   * Everything of a client, in ranges, but the entries in the ranges {@code entries} and the
   * marks of the imports in {@code marks} (first seq to end, exclusive: imports begun and not
   * ended).
   */
  private static GroupCommitWriter.Writes deletion(
      String clientId, NavigableMap<Long, Long> entries, NavigableMap<Long, Long> marks) {
    GroupCommitWriter.Writes w = new GroupCommitWriter.Writes()
        .delete(Family.SESSIONS, Keys.client(clientId))
        .delete(Family.REDIRECTS, Keys.client(clientId))
        .deleteRange(Family.INBOUND_QOS2, Keys.client(clientId), Keys.clientEnd(clientId));
    deleteOutside(w, Family.IMPORTS, clientId, marks, Keys::importMark);
    return deleteOutside(w, Family.MESSAGES, clientId, entries,
        (id, seq) -> Keys.message(id, seq, Keys.DELIVERY));
  }

  /**
   * Deletes the client's keys of {@code family} but those in the seq ranges {@code kept}: one
   * range before, between (none where two imports' ranges meet) and after them.
   */
  private static GroupCommitWriter.Writes deleteOutside(GroupCommitWriter.Writes w, Family family,
      String clientId, NavigableMap<Long, Long> kept, SeqKey key) {
    byte[] from = Keys.client(clientId);
    for (Map.Entry<Long, Long> range : kept.entrySet()) {
      byte[] to = key.of(clientId, range.getKey());
      if (Arrays.compareUnsigned(from, to) < 0) {
        w.deleteRange(family, from, to);
      }
      from = key.of(clientId, range.getValue());
    }
    return w.deleteRange(family, from, Keys.clientEnd(clientId));
  }

  /** The key of a client's seq in a family. */
  private interface SeqKey {
    byte[] of(String clientId, long seq);
  }

  /**
   * An import's first seq from its mark's key: a mark of format version 4 is the client's
   * prefix alone, and its import began at {@link SessionImport#FIRST_SEQ}.
   */
  private static long importFirstSeq(byte[] mark) {
    return Keys.isClientOnly(mark) ? SessionImport.FIRST_SEQ : Keys.seqOf(mark);
  }

  @Override
  public void addMessage(String clientId, long seq, Delivery delivery) {
    addMessage(clientId, seq, delivery, WriteHold.NONE);
  }

  @Override
  public void addMessage(String clientId, long seq, Delivery delivery, WriteHold hold) {
    writer.put(Family.MESSAGES, Keys.message(clientId, seq, Keys.DELIVERY),
        CoreProtos.toProto(delivery).build().toByteArray(), hold);
  }

  @Override
  public WriteHold holdWrites() {
    return writer.hold();
  }

  @Override
  public void markSent(String clientId, long seq, int packetId, boolean released) {
    writer.putEntryLocal(
        Family.MESSAGES, Keys.message(clientId, seq, Keys.SENT), sentRecord(packetId, released));
  }

  private static byte[] sentRecord(int packetId, boolean released) {
    return SentRecord.newBuilder().setPacketId(packetId).setReleased(released).build()
        .toByteArray();
  }

  /**
   * Both of the entry's keys in one batch: a sent record left without its delivery by a crash
   * between them is what {@link #load} reports as a damaged store.
   */
  @Override
  public void removeMessage(String clientId, long seq) {
    writer.write(new GroupCommitWriter.Writes()
        .delete(Family.MESSAGES, Keys.message(clientId, seq, Keys.DELIVERY))
        .delete(Family.MESSAGES, Keys.message(clientId, seq, Keys.SENT))
        .entryLocal());
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
  public long addWill(String clientId, Message will, ClientIdentity uncheckedFor) {
    long id = lastWillId.incrementAndGet();
    ByteString value = CoreProtos.toProto(will).toByteString();
    if (uncheckedFor != null) {
      value = value.concat(UncheckedWillRecord.newBuilder()
          .setUncheckedFor(encode(uncheckedFor)).build().toByteString());
    }
    writer.put(Family.DUE_WILLS, Keys.dueWill(clientId, id), value.toByteArray());
    return id;
  }

  @Override
  public void removeWill(String clientId, long willId) {
    writer.delete(Family.DUE_WILLS, Keys.dueWill(clientId, willId));
  }

  @Override
  public List<DueWill> dueWills() {
    List<DueWill> due = new ArrayList<>();
    store.forEach(Family.DUE_WILLS, (key, value) -> {
      String clientId = Keys.clientIdOf(key);
      UncheckedWillRecord unchecked = parse(key, () -> UncheckedWillRecord.parseFrom(value));
      due.add(new DueWill(clientId, Keys.seqOf(key),
          CoreProtos.fromProto(parse(key, () -> AppMessage.parseFrom(value))),
          unchecked.hasUncheckedFor() ? decode(clientId, unchecked.getUncheckedFor()) : null));
    });
    return due;
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
   * Waits until the writes queued before are in the database, then reads the page. The caller
   * may be an event loop whose own task would release a hold the writer waits for: the wait cuts
   * such holds ({@link GroupCommitWriter#afterDurableNow}).
   *
   * @throws StoreException when the writes do not get there in time, the writer failed, or an
   *     entry is damaged
   */
  @Override
  public List<StoredMessage> messages(String clientId, long afterSeq, int limit) {
    CompletableFuture<Void> written = new CompletableFuture<>();
    writer.afterDurableNow(() -> written.complete(null));
    try {
      CompletableFuture.anyOf(written, writer.failed()).get(WRITES_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(store.dataDir(), "was not read: interrupted", e);
    } catch (ExecutionException e) {
      throw new StoreException(store.dataDir(), "was not read: its writer failed", e.getCause());
    } catch (TimeoutException e) {
      throw new StoreException(store.dataDir(), "was not read: the writes before the read of"
          + " client " + clientId + "'s messages did not reach it in "
          + WRITES_WAIT_SECONDS + " s", e);
    }
    return read(clientId, afterSeq, limit);
  }

  /** Read on the store's reader thread once the writes queued before are in the database. */
  @Override
  public void readMessages(
      String clientId,
      long afterSeq,
      int limit,
      Consumer<List<StoredMessage>> page,
      Consumer<RuntimeException> failed) {
    writer.afterDurable(() -> store.reader().execute(() -> {
      List<StoredMessage> read;
      try {
        read = read(clientId, afterSeq, limit);
      } catch (RuntimeException e) {
        store.readFailed("reading a page of client " + clientId + "'s queue", e);
        failed.accept(e);
        return;
      }
      page.accept(read);
    }));
  }

  private List<StoredMessage> read(String clientId, long afterSeq, int limit) {
    List<StoredMessage> out = new ArrayList<>(Math.min(limit, 1024));
    MessageJoin join = new MessageJoin(out::add);
    store.forRange(
        Family.MESSAGES,
        Keys.message(clientId, afterSeq + 1, Keys.DELIVERY),
        Keys.clientEnd(clientId),
        (key, value) -> {
          join.entry(key, value);
          return out.size() < limit;
        });
    if (out.size() < limit) {
      join.finish();
    }
    return out;
  }

  /**
   * What the contract says, from disk: sessions (with their inbound QoS 2 ids), then message
   * entries by client and seq, each client's queue cut after {@code queueWindow} queued entries
   * (the rest counted in its backlog, decoded only to count the shared ones and the bytes).
   * Expiry is not judged here: the broker, which knows the rules (a will may be due), decides
   * what of it is still alive.
   *
   * @throws StoreException when an entry cannot be read or decoded (a damaged store)
   */
  @Override
  public void load(
      int queueWindow,
      Consumer<StoredSession> sessions,
      Consumer<StoredMessage> messages,
      Consumer<StoredBacklog> backlogs) {
    // Imports a crash cut short: the node that sent them kept the session (it was never told of
    // an install), so exactly their ranges go; what a session of the client here kept lies
    // below, and an installed import's entries in a range of their own.
    Map<String, TreeMap<Long, byte[]>> marks = new HashMap<>();
    store.forEach(Family.IMPORTS, (key, value) -> marks
        .computeIfAbsent(Keys.clientIdOf(key), id -> new TreeMap<>())
        .put(importFirstSeq(key), key));
    Map<String, NavigableMap<Long, Long>> cutShort = new HashMap<>();
    marks.forEach((clientId, byFirst) -> {
      NavigableMap<Long, Long> ranges = ActiveImports.ranges(byFirst.navigableKeySet());
      cutShort.put(clientId, ranges);
      ranges.forEach((first, end) ->
          writer.write(importDeletion(clientId, first, end, byFirst.get(first))));
    });
    Map<String, Set<Integer>> inbound = new HashMap<>();
    store.forEach(Family.INBOUND_QOS2, (key, value) ->
        inbound.computeIfAbsent(Keys.clientIdOf(key), k -> new HashSet<>())
            .add(Keys.packetIdOf(key)));
    store.forEach(Family.SESSIONS, (key, value) -> {
      String clientId = Keys.clientIdOf(key);
      SessionRecord r = parse(key, () -> SessionRecord.parseFrom(value));
      sessions.accept(decode(clientId, r, inbound.getOrDefault(clientId, Set.of())));
    });
    QueueWindow window = new QueueWindow(queueWindow, messages, backlogs);
    MessageJoin join = new MessageJoin(m -> {
      NavigableMap<Long, Long> ranges = cutShort.get(m.clientId());
      Map.Entry<Long, Long> range = ranges == null ? null : ranges.floorEntry(m.seq());
      if (range == null || m.seq() >= range.getValue()) {
        window.entry(m);
      }
    });
    store.forEach(Family.MESSAGES, join::entry);
    join.finish();
    window.finish();
  }

  /**
   * Splits each client's entries, in seq order, into those read onto the heap (every one that
   * went out, and the first {@code size} queued) and its backlog.
   */
  private static final class QueueWindow {
    private final int size;
    private final Consumer<StoredMessage> messages;
    private final Consumer<StoredBacklog> backlogs;
    private String clientId;
    private int queued;
    private long count;
    private long bytes;
    private long shared;
    private long afterSeq;
    private long lastSeq;

    QueueWindow(int size, Consumer<StoredMessage> messages, Consumer<StoredBacklog> backlogs) {
      this.size = size;
      this.messages = messages;
      this.backlogs = backlogs;
    }

    void entry(StoredMessage m) {
      if (!m.clientId().equals(clientId)) {
        finish();
        clientId = m.clientId();
        queued = 0;
      }
      if (m.packetId() != 0 || queued < size) {
        messages.accept(m);
        if (m.packetId() == 0) {
          queued++;
        }
        if (count == 0) {
          afterSeq = m.seq();
        }
        return;
      }
      count++;
      bytes += m.delivery().queuedBytes();
      shared += m.delivery().sharedGroup() == null ? 0 : 1;
      lastSeq = m.seq();
    }

    /** The backlog of the client seen last, if it has one. */
    void finish() {
      if (count > 0) {
        backlogs.accept(new StoredBacklog(clientId, count, bytes, shared, afterSeq, lastSeq));
      }
      count = 0;
      bytes = 0;
      shared = 0;
    }
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
            .setLastPacketId(s.lastPacketId())
            .setLineage(s.lineage());
    s.subscriptions().forEach((filter, o) -> b.addSubscriptions(CoreProtos.toProto(filter, o)));
    Will will = s.will();
    if (will != null) {
      b.setWill(
          WillRecord.newBuilder()
              .setMessage(CoreProtos.toProto(will.message()))
              .setDelaySeconds(will.delaySeconds())
              .setExpirySeconds(will.expirySeconds()));
    }
    if (s.identity() != null) {
      b.setIdentity(encode(s.identity()));
    }
    return b.build();
  }

  private static ClientIdentityRecord encode(ClientIdentity who) {
    ClientIdentityRecord.Builder i = ClientIdentityRecord.newBuilder()
        .setListener(who.listener() == null ? "" : who.listener());
    if (who.userName() != null) {
      i.setUserName(who.userName());
    }
    if (who.certificateIdentity() != null) {
      i.setCertificateIdentity(who.certificateIdentity());
    }
    InetSocketAddress from = who.remoteAddress();
    if (from != null && from.getAddress() != null) {
      i.setRemoteAddress(ByteString.copyFrom(from.getAddress().getAddress()))
          .setRemotePort(from.getPort());
    }
    return i.build();
  }

  /** Null when the record has none (no authorizer was configured, or format version 1). */
  private static ClientIdentity identity(String clientId, SessionRecord r) {
    return r.hasIdentity() ? decode(clientId, r.getIdentity()) : null;
  }

  private static ClientIdentity decode(String clientId, ClientIdentityRecord i) {
    InetSocketAddress from = null;
    if (!i.getRemoteAddress().isEmpty()) {
      try {
        from = new InetSocketAddress(
            InetAddress.getByAddress(i.getRemoteAddress().toByteArray()), i.getRemotePort());
      } catch (UnknownHostException e) {
        from = null; // not 4 or 16 bytes: the rules see no address, as for a client without one
      }
    }
    return new ClientIdentity(clientId, i.hasUserName() ? i.getUserName() : null,
        i.hasCertificateIdentity() ? i.getCertificateIdentity() : null, i.getListener(), from);
  }

  static StoredSession decode(String clientId, SessionRecord r, Set<Integer> inboundQos2) {
    Will will =
        r.hasWill()
            ? new Will(
                CoreProtos.fromProto(r.getWill().getMessage()),
                r.getWill().getDelaySeconds(),
                r.getWill().getExpirySeconds())
            : null;
    return new StoredSession(
        clientId,
        CoreProtos.fromProto(r.getSubscriptionsList()),
        r.getExpiryInterval(),
        will,
        r.getOfflineSinceMillis(),
        r.getLastPacketId(),
        inboundQos2,
        identity(clientId, r),
        r.getLineage());
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
