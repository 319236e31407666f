package io.simqtt.core.session;

import io.simqtt.core.auth.ClientIdentity;
import io.simqtt.core.message.Message;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A {@link SessionStore} for tests: keeps what it is given in memory, records every call in
 * order, and, once told to {@link #hold}, runs {@link #afterDurable} actions only when the test
 * calls {@link #makeDurable} (until then nothing counts as durable). {@link #copy} gives a new
 * store with the same content, for a broker "restarted" from it. Thread-safe.
 */
public final class RecordingSessionStore implements SessionStore {
  /** One call: its operation and arguments as text, e.g. {@code markSent sub 3 1 false}. */
  public record Call(String op, String clientId, String args) {
    @Override
    public String toString() {
      return op + " " + clientId + (args.isEmpty() ? "" : " " + args);
    }
  }

  private final List<Call> calls = new ArrayList<>();
  private final Map<String, StoredSession> sessions = new TreeMap<>();
  private final Map<String, TreeMap<Long, StoredMessage>> messages = new TreeMap<>();
  private final Map<String, Set<Integer>> inbound = new TreeMap<>();
  /**
   * Each client's imports begun and neither installed nor abandoned, by first seq, and whether
   * all its entries came ({@link #finishImport}; in memory only).
   */
  private final Map<String, TreeMap<Long, Boolean>> importing = new TreeMap<>();
  /** Redirects kept in place of sessions that moved, by client id. */
  private final Map<String, StoredRedirect> redirects = new TreeMap<>();
  /** Wills kept as due, by their number. */
  private final SortedMap<Long, DueWill> wills = new TreeMap<>();
  private long lastWillId;
  private final List<Runnable> waiting = new ArrayList<>();
  private boolean holding;
  /** What was durable at the last {@link #hold} or {@link #makeDurable}, while holding. */
  private RecordingSessionStore durable;
  private boolean keepAfterFirstMessage;
  /** A message entry was written since {@link #keepAfterFirstMessageWrite}. */
  private boolean messageWritten;
  /** Holds with writes under them, not released: no batch ends while there is one. */
  private int openHolds;
  private RecordingSessionStore afterFirstMessage;
  private RecordingSessionStore beforeFirstMessage;
  private int pageReads;
  private int pageReadsToFail;
  private int failedPageReads;
  /** Completed to let the stalled write go on; null while none is to stall. */
  private CompletableFuture<Void> stall;
  /** Completed once the write to stall waits. */
  private CompletableFuture<Void> stalled;

  /** From now on, durability waits for {@link #makeDurable}. */
  public synchronized void hold() {
    holding = true;
    durable = copy();
  }

  /** Everything written so far is durable: the waiting actions run, on this thread. */
  public void makeDurable() {
    List<Runnable> due;
    synchronized (this) {
      due = List.copyOf(waiting);
      waiting.clear();
      durable = copy();
    }
    due.forEach(Runnable::run);
  }

  /**
   * What a kill -9 would leave: a new store holding what was durable at the last {@link
   * #makeDurable} (or {@link #hold}), without what was written after it; everything while not
   * holding.
   */
  public synchronized RecordingSessionStore afterKill() {
    return holding ? durable.copy() : copy();
  }

  /** Actions waiting for durability. */
  public synchronized int waiting() {
    return waiting.size();
  }

  /** Every call so far, in order. */
  public synchronized List<Call> calls() {
    return List.copyOf(calls);
  }

  /** The calls of operation {@code op} for {@code clientId}, in order. */
  public synchronized List<Call> calls(String op, String clientId) {
    return calls.stream().filter(c -> c.op().equals(op) && c.clientId().equals(clientId)).toList();
  }

  public synchronized StoredSession session(String clientId) {
    return sessions.get(clientId);
  }

  /** The message entries kept for {@code clientId}, in seq order. */
  public synchronized SortedMap<Long, StoredMessage> messages(String clientId) {
    return Collections.unmodifiableSortedMap(
        new TreeMap<>(messages.getOrDefault(clientId, new TreeMap<>())));
  }

  /** The numbers (first payload byte) of the entries kept for {@code clientId}, in seq order. */
  public List<Integer> numbers(String clientId) {
    return messages(clientId).values().stream()
        .map(m -> (int) m.delivery().message().payload()[0])
        .toList();
  }

  public synchronized Set<Integer> inboundQos2(String clientId) {
    return Set.copyOf(inbound.getOrDefault(clientId, Set.of()));
  }

  /** A new store holding what this one holds now (not holding durability back). */
  public synchronized RecordingSessionStore copy() {
    RecordingSessionStore c = new RecordingSessionStore();
    c.sessions.putAll(sessions);
    messages.forEach((id, m) -> c.messages.put(id, new TreeMap<>(m)));
    inbound.forEach((id, ids) -> c.inbound.put(id, new HashSet<>(ids)));
    importing.forEach((id, i) -> c.importing.put(id, new TreeMap<>(i)));
    c.redirects.putAll(redirects);
    c.wills.putAll(wills);
    c.lastWillId = lastWillId;
    return c;
  }

  /** Puts a session in as if an earlier run had written it. */
  public synchronized void put(StoredSession s) {
    sessions.put(s.clientId(), s);
    if (!s.inboundQos2().isEmpty()) {
      inbound.put(s.clientId(), new HashSet<>(s.inboundQos2()));
    }
  }

  /** Puts a message entry in as if an earlier run had written it. */
  public synchronized void put(StoredMessage m) {
    messages.computeIfAbsent(m.clientId(), id -> new TreeMap<>()).put(m.seq(), m);
  }

  @Override
  public synchronized void saveSession(String clientId, StoredSession session) {
    record("saveSession", clientId, "");
    sessions.put(clientId, session);
  }

  @Override
  public synchronized void deleteSession(String clientId) {
    record("deleteSession", clientId, "");
    deleteAll(clientId);
  }

  private void deleteAll(String clientId) {
    sessions.remove(clientId);
    redirects.remove(clientId);
    dropAllButImports(clientId, imports(clientId));
    inbound.remove(clientId);
  }

  /** Recorded as {@code redirectSession <client> <new owner>}. */
  @Override
  public synchronized void redirectSession(StoredRedirect redirect) {
    record("redirectSession", redirect.clientId(), redirect.newOwner());
    deleteAll(redirect.clientId());
    redirects.put(redirect.clientId(), redirect);
  }

  @Override
  public synchronized void endRedirect(String clientId) {
    record("endRedirect", clientId, "");
    redirects.remove(clientId);
  }

  @Override
  public synchronized List<StoredRedirect> redirects() {
    return List.copyOf(redirects.values());
  }

  /** Recorded as one call: {@code writeSession c <replace> <entries>}. */
  @Override
  public synchronized void writeSession(
      StoredSession session, List<StoredMessage> entries, boolean replace) {
    String clientId = session.clientId();
    record("writeSession", clientId, replace + " " + entries.size());
    inbound.remove(clientId);
    redirects.remove(clientId);
    TreeMap<Long, Boolean> imported = new TreeMap<>(imports(clientId));
    imports(clientId).values().removeIf(finished -> finished); // its install
    if (replace) {
      dropAllButImports(clientId, imported);
    }
    sessions.put(clientId, session);
    for (StoredMessage m : entries) {
      messages.computeIfAbsent(clientId, id -> new TreeMap<>()).put(m.seq(), m);
    }
    if (!session.inboundQos2().isEmpty()) {
      inbound.put(clientId, new HashSet<>(session.inboundQos2()));
    }
  }

  /** Recorded as {@code beginImport <client> <firstSeq>}. */
  @Override
  public synchronized void beginImport(String clientId, long firstSeq) {
    record("beginImport", clientId, Long.toString(firstSeq));
    imports(clientId).put(firstSeq, false);
  }

  /** Recorded as {@code finishImport <client> <firstSeq>}. */
  @Override
  public synchronized void finishImport(String clientId, long firstSeq) {
    record("finishImport", clientId, Long.toString(firstSeq));
    imports(clientId).replace(firstSeq, true);
  }

  @Override
  public synchronized void abandonImport(String clientId, long firstSeq) {
    record("abandonImport", clientId, Long.toString(firstSeq));
    TreeMap<Long, Boolean> active = imports(clientId);
    dropImported(clientId, firstSeq, active);
    active.remove(firstSeq);
  }

  @Override
  public synchronized long lastImport(String clientId) {
    TreeMap<Long, Boolean> active = imports(clientId);
    return active.isEmpty() ? 0 : active.lastKey();
  }

  /** The client's imports begun and not ended, by first seq: whether each is finished. */
  private TreeMap<Long, Boolean> imports(String clientId) {
    return importing.computeIfAbsent(clientId, id -> new TreeMap<>());
  }

  /** The range of the import that began at {@code firstSeq}, beside the {@code active} ones. */
  private void dropImported(String clientId, long firstSeq, TreeMap<Long, Boolean> active) {
    TreeMap<Long, StoredMessage> m = messages.get(clientId);
    if (m != null) {
      Long next = active.higherKey(firstSeq);
      m.subMap(firstSeq, SessionImport.rangeEnd(firstSeq, next == null ? 0 : next)).clear();
    }
  }

  /** The client's entries, but those in the ranges of the imports {@code kept}. */
  private void dropAllButImports(String clientId, TreeMap<Long, Boolean> kept) {
    TreeMap<Long, StoredMessage> m = messages.get(clientId);
    if (m == null) {
      return;
    }
    m.keySet().removeIf(seq -> {
      Long first = kept.floorKey(seq);
      if (first == null) {
        return true;
      }
      Long next = kept.higherKey(first);
      return seq >= SessionImport.rangeEnd(first, next == null ? 0 : next);
    });
  }

  /** Waits, as on a full writer, when {@link #stallNextMessageWrite} says so. */
  @Override
  public void addMessage(String clientId, long seq, Delivery delivery) {
    awaitStall();
    synchronized (this) {
      putMessage(clientId, seq, delivery);
      afterMessageWrite();
    }
  }

  /**
   * The next {@link #addMessage}{@code (clientId, seq, delivery)} waits, as on a full writer, until
   * {@link #endStall}; the future returned completes once it waits.
   */
  public synchronized CompletableFuture<Void> stallNextMessageWrite() {
    stall = new CompletableFuture<>();
    stalled = new CompletableFuture<>();
    return stalled;
  }

  /** The write {@link #stallNextMessageWrite} held goes on. */
  public synchronized void endStall() {
    stall.complete(null);
  }

  private void awaitStall() {
    CompletableFuture<Void> until;
    synchronized (this) {
      until = stall;
      if (until == null || stalled.isDone()) {
        return;
      }
      stalled.complete(null);
    }
    try {
      until.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      throw new IllegalStateException("a stalled write was never let go", e);
    }
  }

  /**
   * Recorded as {@code addMessage}; while its hold is not released, no batch may end after it
   * ({@link #keepAfterFirstMessageWrite} waits for the release).
   */
  @Override
  public synchronized void addMessage(
      String clientId, long seq, Delivery delivery, WriteHold hold) {
    putMessage(clientId, seq, delivery);
    if (hold instanceof Held h && !h.wrote) {
      h.wrote = true;
      openHolds++;
    }
    afterMessageWrite();
  }

  @Override
  public WriteHold holdWrites() {
    return new Held();
  }

  /**
   * A hold of this store: the writes under it and before its release form one unit. Stricter
   * than the store on RocksDB, which lets writes not part of the unit go ahead of it: a batch of
   * this store ends only where no hold is open.
   */
  private final class Held implements WriteHold {
    private boolean wrote;

    @Override
    public void release() {
      synchronized (RecordingSessionStore.this) {
        if (wrote) {
          openHolds--;
        }
        afterMessageWrite();
      }
    }
  }

  /**
   * From now on, the store as it is right after the first message entry written is kept (written
   * under a hold: at the release of every hold written under, as a batch cannot end before): what
   * a kill -9 leaves when the writer's batch ended there and the next one was lost ({@link
   * #afterFirstMessageWrite}).
   */
  public synchronized void keepAfterFirstMessageWrite() {
    keepAfterFirstMessage = true;
  }

  /**
   * The store as it was just before the first message entry written since {@link
   * #keepAfterFirstMessageWrite}, or null while none was.
   */
  public synchronized RecordingSessionStore beforeFirstMessageWrite() {
    return beforeFirstMessage;
  }

  /** What {@link #keepAfterFirstMessageWrite} kept, or null while no entry was written since. */
  public synchronized RecordingSessionStore afterFirstMessageWrite() {
    return afterFirstMessage;
  }

  private void putMessage(String clientId, long seq, Delivery delivery) {
    record("addMessage", clientId, Long.toString(seq));
    if (keepAfterFirstMessage && beforeFirstMessage == null) {
      beforeFirstMessage = copy();
    }
    messageWritten = keepAfterFirstMessage;
    messages
        .computeIfAbsent(clientId, id -> new TreeMap<>())
        .put(seq, new StoredMessage(clientId, seq, delivery, 0, false));
  }

  private void afterMessageWrite() {
    if (keepAfterFirstMessage && afterFirstMessage == null && messageWritten && openHolds == 0) {
      afterFirstMessage = copy();
    }
  }

  @Override
  public synchronized void markSent(String clientId, long seq, int packetId, boolean released) {
    record("markSent", clientId, seq + " " + packetId + " " + released);
    TreeMap<Long, StoredMessage> m = messages.get(clientId);
    StoredMessage e = m == null ? null : m.get(seq);
    if (e != null) {
      m.put(seq, new StoredMessage(clientId, seq, e.delivery(), packetId, released));
    }
  }

  @Override
  public synchronized void removeMessage(String clientId, long seq) {
    record("removeMessage", clientId, Long.toString(seq));
    TreeMap<Long, StoredMessage> m = messages.get(clientId);
    if (m != null) {
      m.remove(seq);
    }
  }

  @Override
  public synchronized void addInboundQos2(String clientId, int packetId) {
    record("addInboundQos2", clientId, Integer.toString(packetId));
    inbound.computeIfAbsent(clientId, id -> new HashSet<>()).add(packetId);
  }

  @Override
  public synchronized void removeInboundQos2(String clientId, int packetId) {
    record("removeInboundQos2", clientId, Integer.toString(packetId));
    Set<Integer> ids = inbound.get(clientId);
    if (ids != null) {
      ids.remove(packetId);
    }
  }

  /** Recorded as {@code addWill <client> <willId>}. */
  @Override
  public synchronized long addWill(String clientId, Message will, ClientIdentity uncheckedFor) {
    long id = ++lastWillId;
    record("addWill", clientId, Long.toString(id));
    wills.put(id, new DueWill(clientId, id, will, uncheckedFor));
    return id;
  }

  @Override
  public synchronized void removeWill(String clientId, long willId) {
    record("removeWill", clientId, Long.toString(willId));
    wills.remove(willId);
  }

  @Override
  public synchronized List<DueWill> dueWills() {
    return List.copyOf(wills.values());
  }

  @Override
  public void afterDurable(Runnable action) {
    synchronized (this) {
      if (holding) {
        waiting.add(action);
        return;
      }
    }
    action.run();
  }

  @Override
  public boolean isDurable() {
    return true;
  }

  /** Page reads so far (synchronous and on the store's behalf alike). */
  public synchronized int pageReads() {
    return pageReads;
  }

  @Override
  public synchronized List<StoredMessage> messages(String clientId, long afterSeq, int limit) {
    pageReads++;
    TreeMap<Long, StoredMessage> m = messages.get(clientId);
    if (m == null) {
      return List.of();
    }
    return m.tailMap(afterSeq, false).values().stream().limit(limit).toList();
  }

  /** The next {@code n} reads of {@link #readMessages} fail, as a disk error would. */
  public synchronized void failPageReads(int n) {
    pageReadsToFail = n;
  }

  /** Reads of {@link #readMessages} failed so far. */
  public synchronized int failedPageReads() {
    return failedPageReads;
  }

  /**
   * Read once earlier writes count as durable, on the thread that makes them so; fails instead
   * while {@link #failPageReads} says so.
   */
  @Override
  public void readMessages(
      String clientId,
      long afterSeq,
      int limit,
      Consumer<List<StoredMessage>> page,
      Consumer<RuntimeException> failed) {
    afterDurable(() -> {
      boolean fail;
      synchronized (this) {
        fail = pageReadsToFail > 0;
        if (fail) {
          pageReadsToFail--;
          failedPageReads++;
        }
      }
      if (fail) {
        failed.accept(new IllegalStateException("injected: the disk failed a read"));
      } else {
        page.accept(messages(clientId, afterSeq, limit));
      }
    });
  }

  @Override
  public void load(
      int queueWindow,
      Consumer<StoredSession> sessionSink,
      Consumer<StoredMessage> messageSink,
      Consumer<StoredBacklog> backlogSink) {
    List<StoredSession> ss = new ArrayList<>();
    List<StoredMessage> ms = new ArrayList<>();
    List<StoredBacklog> bs = new ArrayList<>();
    synchronized (this) {
      importing.forEach((id, active) -> active.keySet().forEach(
          first -> dropImported(id, first, active)));
      importing.clear();
      sessions.forEach(
          (id, s) ->
              ss.add(
                  new StoredSession(
                      id,
                      s.subscriptions(),
                      s.expiryInterval(),
                      s.will(),
                      s.offlineSinceMillis(),
                      s.lastPacketId(),
                      Set.copyOf(inbound.getOrDefault(id, Set.of())),
                      s.identity(),
                      s.lineage())));
      messages.forEach((id, m) -> {
        int queued = 0;
        long count = 0;
        long bytes = 0;
        long shared = 0;
        long afterSeq = 0;
        long lastSeq = 0;
        for (StoredMessage e : m.values()) {
          if (e.packetId() != 0 || queued < queueWindow) {
            ms.add(e);
            queued += e.packetId() == 0 ? 1 : 0;
            afterSeq = count == 0 ? e.seq() : afterSeq;
            continue;
          }
          count++;
          bytes += e.delivery().queuedBytes();
          shared += e.delivery().sharedGroup() == null ? 0 : 1;
          lastSeq = e.seq();
        }
        if (count > 0) {
          bs.add(new StoredBacklog(id, count, bytes, shared, afterSeq, lastSeq));
        }
      });
    }
    ss.forEach(sessionSink);
    ms.forEach(messageSink);
    bs.forEach(backlogSink);
  }

  private void record(String op, String clientId, String args) {
    calls.add(new Call(op, clientId, args));
  }
}
