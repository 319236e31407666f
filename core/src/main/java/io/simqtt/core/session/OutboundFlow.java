package io.simqtt.core.session;

import io.simqtt.config.SessionSettings;
import io.simqtt.core.auth.Permissions;
import io.simqtt.core.codec.MqttEncoder;
import io.simqtt.core.codec.MqttPacket;
import io.simqtt.core.codec.MqttPacket.Publish;
import io.simqtt.core.codec.MqttProperties;
import io.simqtt.core.codec.PacketType;
import io.simqtt.core.codec.ReasonCode;
import io.simqtt.core.metrics.DropReason;
import io.simqtt.core.routing.DeliveryReceipt;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * What a session sends its client: the in-flight window of QoS 1/2 publishes keyed by packet id,
 * the bounded queue behind it, resends after a resume, packet id allocation and the
 * acknowledgements (PUBACK, PUBREC, PUBCOMP) that free the window.
 *
 * <p>A message goes to the wire only while the client's window (its Receive Maximum, capped by
 * {@code mqtt.sessions.max-inflight}) has room and the socket is writable; otherwise it waits in
 * the queue, which is bounded by {@code mqtt.sessions.max-queued-messages} and {@code
 * mqtt.sessions.max-queued-bytes} and counts what it drops. Confined to its session's tasks like
 * the rest of the session.
 *
 * <p>The flow holds no connection: the methods that may write are given the session's connection
 * once CONNACK is out ({@code out}), or null while there is none, so the session stays the one
 * place that binds connections. A session makes its flow on the first delivery and keeps it (it
 * holds the last packet id); its collections exist only while they hold something, as an idle
 * session should cost little (docs/BENCHMARKS.md, "Memory per idle connection").
 *
 * <p>A stored session's flow has a {@link SessionJournal}: every message it takes, sends, sees
 * acknowledged or lets go is written to the node's {@link SessionStore} as it happens, and an
 * outbound QoS 2 PUBLISH goes to the wire only once its packet id is durable. Without one (memory
 * mode, or a session that ends with its connection) nothing of that runs.
 *
 * <p>A stored session's queue keeps at most {@code mqtt.sessions.queue-memory-messages} entries
 * on the heap; what is queued beyond them is on disk only (a {@link QueueBacklog}: its seq range
 * and counts), and once the heap part is half drained the next page is read on a store thread and
 * comes back as a session task, ahead of anything queued meanwhile (that is on disk too, behind
 * it). What must have the whole queue at once (the session no longer stored, a connection
 * attaching with state behind what queued while frozen) reads the rest onto the heap first: off
 * the event loop where the caller can wait ({@link #readFirst}), else at once ({@link
 * #materialize}); a session whose connection ends, or that ends (a clean start ends the old
 * state so too), hands its shared deliveries on a page at a time instead ({@link
 * #handOnSharedFirst}), and one that leaves for another node (a confirmed move, a yield) all it
 * holds ({@link #handOnAllFirst}). A move to another node does not read it either: the flow
 * {@link #freeze freezes} with its backlog on disk, the new owner gets it page by page ({@link
 * BacklogCursor}), and its own store keeps what is beyond its heap's share ({@link
 * SessionImport}).
 */
final class OutboundFlow {
  private static final int MAX_PACKET_ID = 0xFFFF;
  private final SessionContext context;
  /** QoS 1/2 deliveries waiting beyond the window or for a connection; null when none. */
  private DeliveryQueue queue;
  /**
   * Sent and not yet acknowledged; {@link InflightWindow#NONE} when there is none and the client
   * is offline (an emptied window is kept while it is online, see {@link #trim}).
   */
  private InflightWindow inflight = InflightWindow.NONE;
  /**
   * Packet ids in {@code inflight} not yet resent on the current connection: a resumed session
   * may hold more than the new connection's Receive Maximum allows on the wire (spec 4.9). Made by
   * a resume that has some, dropped once they are out; null otherwise.
   */
  private ArrayDeque<Integer> resendPending;
  private int lastPacketId;
  /** Null unless the session is stored: then what this flow holds is written there too. */
  private SessionJournal journal;
  /** The queue's entries that are only on disk (a stored session's); null when none. */
  private QueueBacklog backlog;
  /**
   * What the session passes on from its entries and is not safe where it went yet (see {@link
   * PassOn}): their entries stay in the store until then; null when none.
   */
  private List<PassOn> passingOn;
  /**
   * Set once a pass-on of the session that left the store was lost (see {@link #passedOn}): the
   * store keeps the session, whose entries it holds, rather than delete it.
   */
  private boolean passOnLost;
  /**
   * What waits for the whole backlog to be on the heap ({@link #readFirst}); null when
   * nothing does.
   */
  private List<Runnable> whenMaterialized;
  /**
   * How each page goes while the read for {@link #whenMaterialized} hands it on rather than
   * taking the backlog onto the heap ({@link #handOnSharedFirst}, {@link #handOnAllFirst}); null
   * otherwise.
   */
  private PageHandOn handingOn;
  /** The page handed on last, until its new holders have it: the next is read only then. */
  private PassOn handedPage;
  /**
   * The last seq the hand-on under way ({@link #handOnSharedFirst}) hands on: the backlog's last
   * when it began, for a session that lives on (what the router gives it back, having no other
   * member, queues behind that and stays); none for one that ends (what reaches it meanwhile goes
   * too).
   */
  private long handOnThrough;
  /**
   * Whether the hand-on under way hands on every entry, not only the shared deliveries: the
   * session leaves for another node ({@link #handOnAllFirst}).
   */
  private boolean handingAll;
  /**
   * The last seq the journal gave out when the session left the store while passing entries on:
   * the store keeps what it held until they are safe ({@link #leaveStore}).
   */
  private long leftStoreAt;
  /**
   * What froze for a move still in the balance ({@link #freeze}), or null: it counts against the
   * queue's bounds until it comes back ({@link #thaw}) or the flow is cleared, so that the frozen
   * part and what queues meanwhile stay within them together.
   */
  private FrozenOutbound frozen;

  OutboundFlow(SessionContext context) {
    this.context = context;
  }

  /**
   * {@link #deliver(Delivery, ClientConnection)} of a delivery counted on {@code receipt} (or
   * null): a stored flow writes its entry under the receipt's {@link WriteHold}, if any, so it
   * reaches the disk in one unit with what the receipt's last count writes (see {@link
   * SessionJournal#carrying}).
   */
  void deliver(Delivery d, ClientConnection out, DeliveryReceipt receipt) {
    if (journal == null || receipt == null) {
      deliver(d, out);
      return;
    }
    journal.carrying(receipt);
    try {
      deliver(d, out);
    } finally {
      journal.carrying(null);
    }
  }

  /** Sends or queues one delivery; {@code out} is null while no connection is online. */
  void deliver(Delivery d, ClientConnection out) {
    long now = context.clock().millis();
    if (d.message().isExpired(now)) {
      context.metrics().dropped(DropReason.EXPIRED);
      return;
    }
    if (d.qos() == 0) {
      if (out != null && out.isWritable()) {
        write(out, OutboundPublish.of(d, 0, false, out.version().isV5(), now));
      } else {
        context.metrics().dropped(DropReason.QOS0_NOT_DELIVERABLE);
      }
      return;
    }
    if (out != null
        && queue == null
        && backlog == null
        && noResends()
        && inflight.size() < window(out)
        && out.isWritable()) {
      sendNew(out, d, journal == null ? 0 : journal.add(d), now);
    } else {
      enqueue(d);
    }
  }

  /**
   * A connection is online (CONNACK sent): PUBRELs go again, unacknowledged PUBLISHes (DUP=1)
   * within its window and the rest as acknowledgements free it, then the queue drains.
   */
  void resume(ClientConnection out) {
    resendPending = null;
    for (InflightMessage f : inflight.inOrder()) {
      int id = f.packetId();
      if (journal != null && journal.awaitsDurable(id)) {
        // Its PUBLISH or PUBREL waits for the store: it goes out then (packetIdDurable), on this
        // connection; asked again, as it may have become durable while none was online.
        journal.sendWhenDurable(id);
        continue;
      }
      if (f.released()) {
        out.send(
            new MqttPacket.PubResponse(
                PacketType.PUBREL, id, ReasonCode.SUCCESS, MqttProperties.NONE));
      } else {
        // One still waiting for its packet id to be durable was never sent: it goes out then.
        if (resendPending == null) {
          resendPending = new ArrayDeque<>();
        }
        resendPending.addLast(id);
      }
    }
    drain(out);
  }

  /**
   * What {@code j} held back under {@code packetId} is durable: a QoS 2 PUBLISH (its packet id)
   * or a PUBREL (its released mark) goes out now if a connection is online; else it still counts
   * as waiting (a PUBLISH never written goes to another member if the session ends, see {@link
   * #takeShared}) and the next resume asks again.
   */
  void packetIdDurable(SessionJournal j, int packetId, ClientConnection out) {
    if (j != journal || out == null || !j.durable(packetId)) {
      return;
    }
    InflightMessage f = inflight.get(packetId);
    if (f == null) {
      return;
    }
    if (f.released()) {
      sendAck(out, PacketType.PUBREL, packetId, ReasonCode.SUCCESS);
    } else {
      write(
          out,
          OutboundPublish.of(
              f.delivery(), packetId, false, out.version().isV5(), context.clock().millis()));
    }
  }

  /**
   * Sends what the window and the socket take now: resends first, in their original order, then
   * the queue. Both stop while the socket is not writable; the session calls this again once it
   * is (a client that reads slowly holds at most the socket buffers' worth in flight, the rest
   * waits here, bounded and counted, rather than in the socket's outbound buffer).
   */
  void drain(ClientConnection out) {
    if (out == null) {
      return;
    }
    long now = context.clock().millis();
    int window = window(out);
    boolean v5 = out.version().isV5();
    // Released entries are already on the wire: only their PUBCOMP is awaited.
    while (!noResends() && inflight.size() - resendPending.size() < window && out.isWritable()) {
      InflightMessage f = inflight.get(resendPending.pollFirst());
      if (f != null && !f.released()) {
        write(out, OutboundPublish.of(f.delivery(), f.packetId(), true, v5, now));
      }
    }
    if (resendPending != null && resendPending.isEmpty()) {
      resendPending = null;
    }
    while (noResends() && inflight.size() < window && queue != null && out.isWritable()) {
      Delivery d = queue.first();
      long seq = queue.firstSeq();
      queue.removeFirst();
      if (queue.isEmpty()) {
        queue = null;
      }
      if (d.message().isExpired(now)) {
        context.metrics().dropped(DropReason.EXPIRED);
        forget(seq);
        continue;
      }
      sendNew(out, d, seq, now);
    }
    readBacklog();
  }

  /**
   * Reads the next page of the backlog when the queue on the heap is half drained (so sending
   * goes on while the page is read), on a store thread; it comes back through {@link
   * #backlogRead}. Only while a connection is online (called from {@link #drain}).
   */
  private void readBacklog() {
    QueueBacklog b = backlog;
    int memory = context.settings().queueMemoryMessages();
    if (b == null || b.reading || inMemory() * 2 > memory) {
      return;
    }
    b.reading = true;
    journal.readLater(b, b.afterSeq, memory - inMemory());
  }

  /**
   * A page of backlog {@code b} was read: its entries join the queue (the owed drops go, counted
   * already), behind what is on the heap and ahead of what is on disk still, then sending goes
   * on. A page of a backlog that is gone (read whole or dropped meanwhile) is ignored.
   */
  void backlogRead(QueueBacklog b, List<StoredMessage> page, ClientConnection out) {
    if (isGone(b)) {
      return;
    }
    b.reading = false;
    b.retryPauseMillis = 0;
    if (handingOn != null) {
      handOnRead(b, page);
      return;
    }
    for (StoredMessage m : page) {
      takeFromBacklog(b, m);
    }
    readThrough(b, page);
    if (backlog != null) {
      readOwedDrops();
    }
    if (whenMaterialized != null) {
      readFirstGoesOn();
    }
    drain(out);
  }

  /** After page {@code page} of {@code b}: the backlog goes once nothing of it is left. */
  private void readThrough(QueueBacklog b, List<StoredMessage> page) {
    if (page.isEmpty()) {
      // The store holds none of it (it cannot be read back): nothing is left to wait for.
      b.afterSeq = b.lastSeq;
    }
    if (b.isDone()) {
      backlog = null;
    }
  }

  /**
   * A page read for {@link #handOnSharedFirst}, after {@link QueueBacklog#handOnFrom}: its shared
   * deliveries (for {@link #handOnAllFirst}, all of it) go on (one {@link PassOn}) and leave the
   * backlog's counts; the rest stays on disk, where the queue reads it back in its turn (or the
   * session's end deletes it). Owed drops and
   * checks apply as to any page read back, the drops to the oldest entries only: while nothing
   * stays before them, the backlog's read moves on with the hand-on. Nothing of it joins the
   * queue.
   */
  private void handOnRead(QueueBacklog b, List<StoredMessage> page) {
    long end = Math.min(b.lastSeq, handOnThrough);
    List<Delivery> taken = new ArrayList<>();
    List<StoredMessage> entries = new ArrayList<>();
    for (StoredMessage m : page) {
      if (m.seq() > end) {
        b.handOnAfter = end;
        break;
      }
      if (m.seq() > b.handOnFrom()) {
        Delivery d = handOnOne(b, m);
        if (d != null) {
          taken.add(d);
          entries.add(m); // a queued entry: none that went out is handed on
        }
      }
    }
    if (page.isEmpty()) {
      // The store holds none of it from here: nothing is left to hand on, nor to read back if
      // nothing stayed before.
      if (b.handOnAfter <= b.afterSeq) {
        b.afterSeq = b.lastSeq;
      }
      b.handOnAfter = end;
    }
    if (!entries.isEmpty()) {
      b.handedOnSeqs = handedOnSeqs(entries);
    }
    if (b.isDone()) {
      backlog = null;
    }
    handOnPage(taken, entries);
  }

  /**
   * The seqs, in order, of {@code page} and of every entry passed on and not safe yet: a read of
   * the backlog asked for before their deletion may find any of them ({@link
   * QueueBacklog#handedOnSeqs}).
   */
  private long[] handedOnSeqs(List<StoredMessage> page) {
    LongStream seqs = page.stream().mapToLong(StoredMessage::seq);
    if (passingOn != null) {
      seqs = LongStream.concat(
          seqs, passingOn.stream().flatMap(p -> p.entries.stream()).mapToLong(StoredMessage::seq));
    }
    return seqs.sorted().toArray();
  }

  /**
   * One entry a hand-on read: its delivery if it goes to another member, null if it stays (not a
   * shared delivery, or in flight already) or was dropped (counted). The oldest entry on disk
   * leaves as any entry read back ({@link #readBack}), and pays what is owed.
   */
  private Delivery handOnOne(QueueBacklog b, StoredMessage m) {
    boolean shared = m.delivery().sharedGroup() != null;
    if (b.handOnAfter <= b.afterSeq && (handingAll || shared || m.packetId() != 0 || b.owes())) {
      return readBack(b, m); // with nothing staying before it: owes, or is shared, or went out
    }
    b.handOnAfter = m.seq();
    return shared && m.packetId() == 0 ? leaves(b, m, false) : null;
  }

  /**
   * Hands {@code taken} (with their {@code entries}) on; the read for {@link #readFirst} goes on
   * at once if nothing went or nothing is left to read, else once their new holders have them
   * ({@link #passedOn}): a page on the heap at a time, and each pass-on's hold short.
   */
  private void handOnPage(List<Delivery> taken, List<StoredMessage> entries) {
    if (!taken.isEmpty()) {
      handingOn.handOn(taken, entries); // its pass-on is the handed page (passOnStarted)
    }
    if (handedPage == null || isHandedOn()) {
      readFirstGoesOn(); // nothing went, or it is safe already (no other task ran), or all did
    }
  }

  /**
   * Whether nothing the hand-on under way is for is left on disk: no shared delivery for {@link
   * #handOnSharedFirst}, no entry for {@link #handOnAllFirst}.
   */
  private boolean isHandedOn() {
    return handingAll ? backlog == null : !sharedOnDisk(handOnThrough);
  }

  /** Whether shared deliveries of the queue lie on disk that no hand-on read yet. */
  boolean sharedOnDisk() {
    return sharedOnDisk(Long.MAX_VALUE);
  }

  /**
   * Whether shared deliveries of the queue lie on disk, up to seq {@code end}, that no hand-on
   * read yet.
   */
  private boolean sharedOnDisk(long end) {
    QueueBacklog b = backlog;
    return b != null && b.shared > 0 && b.handOnFrom() < Math.min(b.lastSeq, end);
  }

  /**
   * The read for {@link #readFirst} takes its next page, or, once it has what it was for (the
   * whole backlog on the heap, or its shared deliveries handed on), whoever waited runs, in this
   * task.
   */
  private void readFirstGoesOn() {
    if (backlog != null && (handingOn == null || !isHandedOn())) {
      readWhole(backlog);
      return;
    }
    List<Runnable> next = whenMaterialized;
    whenMaterialized = null;
    handingOn = null;
    handingAll = false;
    handedPage = null;
    readOwedDrops(); // those a hand-on did not reach: entries stayed before them
    next.forEach(Runnable::run);
  }

  /**
   * A page read of backlog {@code b} failed: returns how long to pause before it is read again
   * ({@link #retryBacklog}), longer after each failure in a row, or 0 if {@code b} is gone
   * meanwhile. No other read starts before; what is on the heap goes on draining.
   */
  long backlogReadFailed(QueueBacklog b) {
    return isGone(b) ? 0 : b.nextRetryPause();
  }

  /** The pause after a failed page read of {@code b} is over: it is read again if still due. */
  void retryBacklog(QueueBacklog b, ClientConnection out) {
    if (isGone(b)) {
      return;
    }
    b.reading = false;
    if (whenMaterialized != null) {
      readWhole(b);
    }
    drain(out); // reads the page while a connection is online; else its resume does
  }

  /**
   * Whether a read of {@code b} came back to a flow whose backlog it no longer is (read whole,
   * cleared, replaced, or frozen for a move): its read is over all the same, so a backlog that
   * froze reads afresh if it comes back.
   */
  private boolean isGone(QueueBacklog b) {
    if (b == backlog) {
      return false;
    }
    b.reading = false;
    return true;
  }

  /** One entry read back from the backlog, in seq order, joins the queue unless it goes. */
  private void takeFromBacklog(QueueBacklog b, StoredMessage m) {
    Delivery d = readBack(b, m);
    if (d != null) {
      writableQueue().addLast(d, m.seq());
    }
  }

  /**
   * One entry read back from the backlog, in seq order: its delivery if it joins the queue, null
   * if not (read already, not this session's, in flight already, or dropped, counted).
   */
  private Delivery readBack(QueueBacklog b, StoredMessage m) {
    if (m.seq() <= b.afterSeq) {
      return null;
    }
    if (m.seq() > b.lastSeq) {
      // Pages come in seq order, so the backlog is read through; what lies above is not this
      // session's: an import's that a state arriving for its client writes (SessionImport).
      b.afterSeq = b.lastSeq;
      return null;
    }
    b.afterSeq = m.seq();
    if (m.packetId() != 0) {
      return null; // it went out before a restart: in flight already
    }
    if (b.handedOn(m.seq())) {
      return null; // another member has it, or will: it left the counts then
    }
    return leaves(b, m, true);
  }

  /**
   * Queued entry {@code m} leaves backlog {@code b}'s counts: its delivery, or null if it is
   * dropped (counted, out of the store). The {@code oldest} entry on disk pays what is owed ({@link
   * QueueBacklog#owes}); any that leaves frees its bytes of what the byte bound is owed.
   */
  private Delivery leaves(QueueBacklog b, StoredMessage m, boolean oldest) {
    Delivery d = m.delivery();
    int size = d.queuedBytes();
    b.bytes = Math.max(0, b.bytes - size);
    if (d.sharedGroup() != null) {
      b.shared = Math.max(0, b.shared - 1);
    }
    if (oldest && b.owes()) {
      b.owedBytes = Math.max(0, b.owedBytes - size);
      if (b.owedDrops > 0) {
        b.owedDrops--;
      } else {
        b.count = Math.max(0, b.count - 1);
        context.metrics().dropped(DropReason.QUEUE_BYTES_FULL);
      }
      forget(m.seq());
      return null;
    }
    b.owedBytes = Math.max(0, b.owedBytes - size);
    b.count = Math.max(0, b.count - 1);
    if (b.checkWith != null && !b.checkWith.mayReceive(d.message().topic(), d.qos())) {
      context.metrics().dropped(DropReason.NOT_AUTHORIZED);
      forget(m.seq());
      return null;
    }
    if (b.seen != null && !b.seen.firstTime(d)) {
      context.metrics().dropped(DropReason.DUPLICATE);
      forget(m.seq());
      return null;
    }
    return d;
  }

  /**
   * What the session holds for its client is checked against {@code p}, which the session's
   * permissions became after a time they were unknown (some was routed here unchecked then, see
   * {@link Session#deliverUnchecked}), or at recovery, or a connection brought with it (the state
   * was handed over from another node, or its permissions were unknown): the queue on the heap
   * now, and on disk as it is read back. What the client may not receive is dropped (counted)
   * and leaves the store.
   *
   * <p>What is in flight is not checked: it was judged when first sent and its delivery has
   * begun, and a resumed session must send unacknowledged PUBLISHes (QoS 1 and 2) and PUBRELs
   * again, with their original packet ids (MQTT 5.0 [MQTT-4.4.0-1]). Dropping an unacknowledged
   * QoS 2 PUBLISH would also leave the client holding its packet id, so a later message under
   * that id would be taken for a duplicate and never delivered ([MQTT-4.3.3-10]).
   */
  void checkHeld(Permissions p) {
    if (queue != null) {
      queue.removeIf(
          d -> !p.mayReceive(d.message().topic(), d.qos()),
          (d, seq) -> {
            context.metrics().dropped(DropReason.NOT_AUTHORIZED);
            forget(seq);
          });
      if (queue.isEmpty()) {
        queue = null;
      }
    }
    if (backlog != null) {
      backlog.checkWith = p;
    }
  }

  /**
   * Reads the whole backlog onto the heap, behind the queue there, for what needs every message
   * at once: blocks on the store (a move to another node, a session no longer stored, shared
   * deliveries to hand on). A page still being read is ignored when it comes.
   */
  void materialize() {
    QueueBacklog b = backlog;
    if (b == null) {
      return;
    }
    backlog = null;
    int pageSize = context.settings().queueMemoryMessages();
    List<StoredMessage> page;
    do {
      page = journal.read(b.afterSeq, pageSize);
      for (StoredMessage m : page) {
        takeFromBacklog(b, m);
      }
    } while (page.size() == pageSize && b.afterSeq < b.lastSeq);
    overtaken();
  }

  /**
   * Whether what the caller needs of the queue (all of it; with {@code sharedOnly}, its
   * shared-subscription deliveries gone, which is left to do only while a hand-on, see {@link
   * #handOnSharedFirst}, or a read it joined is under way) lies partly only on disk. If so, the
   * whole backlog is read (or the hand-on goes on) and {@code next} runs once it is on the heap
   * (or handed on), as the session task that takes its last page; if not, nothing happens and the
   * caller goes on at once. The pages are read on the store's reader thread, one after another,
   * never on the event loop; the session goes on meanwhile, and what it queues goes to disk behind
   * the backlog (and is read with it), so the order holds. A {@link #materialize} meanwhile, the
   * queue cleared, or a connection attaching ({@link #stopWholeRead}) overtakes the read: {@code
   * next} then runs as a later task of the session (never inside the call that overtook it), so
   * it always runs, and must check then whether it still applies.
   */
  boolean readFirst(boolean sharedOnly, Runnable next) {
    QueueBacklog b = backlog;
    // One handing shared deliveries on is joined whatever it is asked for: the caller asks again.
    if (sharedOnly ? whenMaterialized == null : handingOn == null && b == null) {
      return false;
    }
    if (whenMaterialized == null) {
      whenMaterialized = new ArrayList<>(1);
    }
    whenMaterialized.add(next);
    readWhole(b);
    return true;
  }

  /**
   * As {@link #readFirst} with {@code sharedOnly}, for a session whose connection ended ({@code
   * livesOn}) or that ends: the shared deliveries are not taken onto the heap but handed on
   * through {@code pages} a page at a time, those on the heap first (queued; for one that ends,
   * the QoS 1 ones sent and not acknowledged too, see {@link #takeShared}), then each page of the
   * backlog as it is read, the next read once
   * the new holders have the last page ({@link #passedOn}); the rest of the backlog stays on disk
   * where it is, for the queue to read back in its turn or the session's end to delete. So a
   * session with a million shared deliveries on disk hands them on with a page of them on the
   * heap. One that lives on hands on what lay on disk when this began; one that ends, what
   * reaches it meanwhile too. {@code next} runs once none is left on disk, or as a later task when
   * something overtook the hand-on (a connection attaching: the queue reads on in order, passing
   * over what went). A read for {@link #readFirst} under way is joined instead (it runs its
   * course, and {@code next} asks again).
   */
  boolean handOnSharedFirst(String clientId, boolean livesOn, PageHandOn pages, Runnable next) {
    if (whenMaterialized != null) {
      whenMaterialized.add(next);
      return true;
    }
    long through = !livesOn || backlog == null ? Long.MAX_VALUE : backlog.lastSeq;
    if (!sharedOnDisk(through)) {
      return false;
    }
    startHandOn(through, false, pages, next,
        entries -> takeSharedOnHeap(!livesOn, clientId, entries));
    return true;
  }

  /**
   * As {@link #handOnSharedFirst}, for a session that leaves for another node with all it holds
   * (a confirmed move, a yield): every message it has not finished goes through {@code pages}, in
   * order, those on the heap first (in flight, not a QoS 2 message whose PUBREC arrived, then
   * queued), then each page of the backlog as it is read, the next read once the new holder has
   * the last; what queues meanwhile lies on disk behind them and goes with them. {@code next}
   * runs once none is left on disk (the caller takes what the heap holds then, which is nothing
   * queued behind the pages), or as a later task when something overtook the hand-on (the
   * backlog then reads on from where the pages stopped, passing over what went). Returns false,
   * doing nothing, when nothing lies on disk; a read under way is joined instead.
   */
  boolean handOnAllFirst(String clientId, PageHandOn pages, Runnable next) {
    if (whenMaterialized != null) {
      whenMaterialized.add(next);
      return true;
    }
    if (backlog == null) {
      return false;
    }
    // Every entry goes, so the pages read on from the last one read back: shared deliveries an
    // earlier hand-on gave away before it are gone from the store, or passed over as not safe yet.
    backlog.handOnAfter = backlog.afterSeq;
    startHandOn(Long.MAX_VALUE, true, pages, next,
        entries -> takeUnfinishedOnHeap(clientId, entries));
    return true;
  }

  /**
   * Starts the hand-on of {@link #handOnSharedFirst} or ({@code all}) {@link #handOnAllFirst}
   * through seq {@code through}: what {@code onHeap} takes of the heap (adding the entries to the
   * list it is given) goes first, as one page.
   */
  private void startHandOn(long through, boolean all, PageHandOn pages, Runnable next,
      Function<List<StoredMessage>, List<Delivery>> onHeap) {
    handOnThrough = through;
    handingAll = all;
    whenMaterialized = new ArrayList<>(1);
    whenMaterialized.add(next);
    handingOn = pages;
    List<StoredMessage> entries = new ArrayList<>();
    handOnPage(onHeap.apply(entries), entries);
  }

  /** Hands one page of deliveries on; see {@link #handOnSharedFirst}, {@link #handOnAllFirst}. */
  interface PageHandOn {
    /** Hands {@code taken} on to their new holders: one pass-on of {@code entries}. */
    void handOn(List<Delivery> taken, List<StoredMessage> entries);
  }

  /**
   * The read for {@link #readFirst} is overtaken (the queue was read at once or cleared):
   * whoever waited runs as a later task of the session, on the grounds it finds then. A waiter
   * implies a backlog, so a stored session and a journal to reach the session through.
   */
  private void overtaken() {
    List<Runnable> waiting = whenMaterialized;
    if (waiting != null) {
      whenMaterialized = null;
      handingOn = null;
      handingAll = false;
      handedPage = null; // it completes as any pass-on, and nothing goes on after it
      waiting.forEach(journal::later);
    }
  }

  /**
   * A connection attached: what waits for the whole backlog ({@link #readFirst}) waits for a
   * session without one, so it no longer applies (each waiter finds that out as a later task of
   * the session), and the read stops. What it brought beyond the heap's share of the queue goes
   * back to being only on disk, where it still is, and a page on its way is ignored when it comes
   * (the backlog is a new one): the queue pages as before, bounded by {@code
   * queue-memory-messages} again rather than {@code max-queued-messages}.
   */
  void stopWholeRead() {
    if (whenMaterialized == null) {
      return;
    }
    overtaken();
    QueueBacklog b = backlog;
    if (b == null) {
      return;
    }
    QueueBacklog rest = b.copy();
    int memory = context.settings().queueMemoryMessages();
    // Owed drops are paid on the oldest entries on disk: with any, nothing goes back before them.
    if (queue != null && queue.size() > memory && !b.owes()) {
      int[] kept = {0};
      // Entries queued on the heap of a session with a backlog are numbered, in order, below it.
      queue.removeIf(
          d -> kept[0]++ >= memory,
          (d, seq) -> {
            rest.afterSeq = Math.min(rest.afterSeq, seq - 1);
            rest.count++;
            rest.bytes += d.queuedBytes();
            if (d.sharedGroup() != null) {
              rest.shared++;
            }
          });
    }
    backlog = rest;
  }

  /** Whether a connection's attach waits for the read under way ({@link Session#beforeAttach}). */
  boolean attachWaits() {
    return whenMaterialized != null
        && whenMaterialized.stream()
            .anyMatch(r -> r instanceof Session.AttachWhenRead a && !a.attach().givenUp());
  }

  /**
   * Asks for the next page of {@code b} for {@link #readFirst} or {@link #handOnSharedFirst},
   * unless one is on its way.
   */
  private void readWhole(QueueBacklog b) {
    if (!b.reading && handedPage == null) {
      b.reading = true;
      journal.readLater(b, handingOn == null ? b.afterSeq : b.handOnFrom(),
          context.settings().queueMemoryMessages());
    }
  }

  void onPubAck(int packetId, ClientConnection out) {
    InflightMessage f = inflight.get(packetId);
    if (f != null && f.delivery().qos() == 1) {
      removeInflight(f);
      drain(out);
    }
  }

  void onPubRec(int packetId, int reasonCode, ClientConnection out) {
    InflightMessage f = inflight.get(packetId);
    if (f == null || f.delivery().qos() != 2) {
      sendAck(out, PacketType.PUBREL, packetId, ReasonCode.PACKET_IDENTIFIER_NOT_FOUND);
      return;
    }
    if (ReasonCode.isError(reasonCode)) {
      // The receiver refused the message: the exchange ends here.
      removeInflight(f);
      drain(out);
      return;
    }
    if (!f.released()) {
      inflight.replace(f.release());
      if (journal != null) {
        // The PUBREL waits for the released mark: sent before it, a crash would bring the
        // PUBLISH back under this id to a client that took the PUBREL as the end of it and
        // reads the resend as a new message.
        journal.released(f.seq(), packetId);
        journal.sendWhenDurable(packetId);
        return;
      }
    }
    if (journal == null || !journal.awaitsDurable(packetId)) {
      sendAck(out, PacketType.PUBREL, packetId, ReasonCode.SUCCESS);
    }
  }

  void onPubComp(int packetId, ClientConnection out) {
    InflightMessage f = inflight.get(packetId);
    if (f != null && f.released()) {
      removeInflight(f);
      drain(out);
    }
  }

  /** Queued messages, on the heap and only on disk. */
  int queuedCount() {
    return inMemory() + (backlog == null ? 0 : (int) backlog.count);
  }

  /**
   * Bytes queued ({@link Delivery#queuedBytes}), on the heap and only on disk, less what the disk
   * owes as dropped ({@link QueueBacklog#owedBytes}): what {@code max-queued-bytes} bounds.
   */
  long queuedBytes() {
    return QueueBacklog.queuedBytes(queue, backlog);
  }

  /** Queued messages on the heap. */
  int inMemory() {
    return queue == null ? 0 : queue.size();
  }

  int inflightCount() {
    return inflight.size();
  }

  /**
   * {@link #queuedCount()} read from any thread without a task, for gauges summed over every
   * session ({@link SessionRegistry#heldMessages}): a racy read of a collection the session
   * changes unlocked, so it may be stale, or off while the session changes it. Never negative; 0
   * if the read catches the collection half made (a racy read may see it before its
   * constructor's writes on a weakly ordered CPU).
   */
  int queuedCountRacy() {
    DeliveryQueue q = queue;
    QueueBacklog b = backlog;
    try {
      return (q == null ? 0 : Math.max(0, q.size())) + (b == null ? 0 : (int) b.count);
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** {@link #inflightCount()} read from any thread; racy like {@link #queuedCountRacy()}. */
  int inflightCountRacy() {
    return Math.max(0, inflight.size());
  }

  /**
   * Takes the shared-subscription deliveries out for another member of their group (MQTT 5,
   * 4.8.2): the queued ones, and with {@code sentToo} (the session ends) also the QoS 1 ones sent
   * and not acknowledged, and the QoS 2 ones whose PUBLISH still waits for the store (never
   * written). A QoS 2 message written stays: whose PUBREC arrived, the client has; one waiting
   * for its PUBREC no other member may get ([MQTT-4.8.2-5]): it leaves the window, dropped,
   * counted. The entries of those taken stay in the store: they are added to {@code entries}
   * (when not null, as {@code clientId}'s), to remove once the new holders have them.
   */
  List<Delivery> takeShared(boolean sentToo, String clientId, List<StoredMessage> entries) {
    if (sharedOnDisk(Long.MAX_VALUE)) {
      materialize();
    }
    return takeSharedOnHeap(sentToo, clientId, entries);
  }

  /** {@link #takeShared} of what is on the heap only. */
  List<Delivery> takeSharedOnHeap(
      boolean sentToo, String clientId, List<StoredMessage> entries) {
    if (queue == null && (!sentToo || inflight.isEmpty())) {
      return List.of();
    }
    List<Delivery> taken = new ArrayList<>();
    if (sentToo) {
      for (InflightMessage f : inflight.inOrder()) {
        if (f.delivery().sharedGroup() != null && !f.released()) {
          if (resendPending != null) {
            resendPending.remove(f.packetId());
          }
          inflight.remove(f.packetId());
          if (f.delivery().qos() == 2
              && (journal == null || !journal.awaitsDurable(f.packetId()))) {
            // Its PUBLISH went out: the client may have it and count on the PUBREL, so no other
            // member may get it ([MQTT-4.8.2-5]). Its entry ends with the session. One still
            // waiting for its entry to be durable was never written: it goes on as a queued one.
            context.metrics().dropped(DropReason.MEMBER_ENDED);
          } else {
            taken.add(f.delivery());
            keepEntry(entries, clientId, f.delivery(), f.seq());
          }
        }
      }
      if (inflight.isEmpty()) {
        inflight = InflightWindow.NONE;
      }
    }
    if (queue != null) {
      queue.removeIf(
          d -> d.sharedGroup() != null,
          (d, seq) -> {
            taken.add(d);
            keepEntry(entries, clientId, d, seq);
          });
      if (queue.isEmpty()) {
        queue = null;
      }
    }
    return taken;
  }

  /** Keeps {@code d}'s entry as a queued one: see {@link PassOn#entries}. */
  private static void keepEntry(
      List<StoredMessage> entries, String clientId, Delivery d, long seq) {
    if (entries != null && seq != 0) {
      entries.add(new StoredMessage(clientId, seq, d, 0, false));
    }
  }

  /**
   * Takes every message the client has not finished, in order: sent and unacknowledged first
   * (not a QoS 2 message whose PUBREC arrived: the client has it), then the queue. The flow is
   * left empty. Their entries are added to {@code entries} as in {@link #takeShared}.
   */
  List<Delivery> takeUnfinished(String clientId, List<StoredMessage> entries) {
    materialize();
    List<Delivery> left = takeUnfinishedOnHeap(clientId, entries);
    clear();
    return left;
  }

  /**
   * {@link #takeUnfinished} of what is on the heap only: what lies on disk stays, and so do the
   * QoS 2 messages whose PUBREC arrived, in flight.
   */
  private List<Delivery> takeUnfinishedOnHeap(String clientId, List<StoredMessage> entries) {
    List<Delivery> left = new ArrayList<>(inflight.size() + inMemory());
    for (InflightMessage f : inflight.inOrder()) {
      if (!f.released()) {
        left.add(f.delivery());
        keepEntry(entries, clientId, f.delivery(), f.seq());
        inflight.remove(f.packetId());
      }
    }
    if (inflight.isEmpty()) {
      inflight = InflightWindow.NONE;
    }
    resendPending = null;
    left.addAll(takeQueuedOnHeap(clientId, entries));
    return left;
  }

  /**
   * Takes the queue, in order, leaving what is in flight; their entries are added to {@code
   * entries} as in {@link #takeShared}.
   */
  List<Delivery> takeQueued(String clientId, List<StoredMessage> entries) {
    materialize();
    return takeQueuedOnHeap(clientId, entries);
  }

  private List<Delivery> takeQueuedOnHeap(String clientId, List<StoredMessage> entries) {
    DeliveryQueue taken = queue;
    queue = null;
    if (taken == null) {
      return List.of();
    }
    if (entries != null) {
      taken.forEach((d, seq) -> keepEntry(entries, clientId, d, seq));
    }
    return taken.deliveries();
  }

  /**
   * Appends a delivery this session had queued already: the bound applied then. Not written: the
   * session writes its whole state afresh after this (see {@link #renumberAll}).
   */
  void requeue(Delivery d) {
    writableQueue().addLast(d, 0);
  }

  /**
   * {@code seen}, a window of second copies opening now, takes what the flow holds, in order: in
   * flight and queued on the heap counts as seen. With {@code dropRepeats} a copy queued a second
   * time (same message, same shared subscription or none) is a second copy, dropped (counted) and
   * out of the store: one the older owner redirected while the session was frozen for a move,
   * before the window could open. A message held once for a shared subscription and once for
   * another (or another shared one) is two copies the client is owed, and both stay.
   * The messages only on disk, and what queues behind them from now on, are checked against it
   * as they come back, in order: so the window covers them without reading the disk for it, and
   * the first copy keeps its place.
   */
  void watchForSecondCopies(SeenMessages seen, boolean dropRepeats) {
    for (InflightMessage f : inflight.inOrder()) {
      seen.firstTime(f.delivery());
    }
    if (queue != null) {
      queue.removeIf(
          d -> !seen.firstTime(d) && dropRepeats,
          (d, seq) -> {
            context.metrics().dropped(DropReason.DUPLICATE);
            forget(seq);
          });
      if (queue.isEmpty()) {
        queue = null;
      }
    }
    if (backlog != null) {
      backlog.seen = seen;
    }
  }

  /**
   * Whether a QoS 1/2 delivery taken now is checked against {@code seen} as it comes back from
   * disk (it goes behind a backlog that is, see {@link #watchForSecondCopies}) rather than as it
   * arrives: so the first copy keeps its place, whichever of the two is on disk.
   */
  boolean checksOnDisk(SeenMessages seen) {
    return backlog != null && backlog.seen == seen;
  }

  /**
   * Takes on a state another node handed over, into an empty flow. Not written: the session
   * writes its whole state afresh after this (its backlog, if it has one, is in the store
   * already: {@link #restoreBacklog}).
   */
  void restore(OutboundState s) {
    for (InflightMessage f : s.inflight()) {
      writableInflight().add(f);
    }
    for (Delivery d : s.queued()) {
      writableQueue().addLast(d, 0);
    }
    lastPacketId = s.lastPacketId();
  }

  /**
   * A state received from another node in parts: its queued messages beyond {@code s}'s lie in
   * this node's store already, as {@code b} says (see {@link SessionImport}). They are read back
   * a page at a time like any backlog, once the session's journal numbers its own entries below
   * them ({@link #renumberAll}).
   */
  void restoreBacklog(StoredBacklog b) {
    backlog = new QueueBacklog(b.count(), b.bytes(), b.shared(), b.afterSeq(), b.lastSeq());
  }

  /**
   * The session freezes for a move to another node: every message it holds is taken out as it is
   * (see {@link FrozenOutbound}) and the flow is left empty. Packet ids go on from the last one
   * given out, and a stored flow keeps its journal, so what arrives meanwhile is written behind
   * the frozen entries.
   */
  FrozenOutbound freeze() {
    FrozenOutbound f = new FrozenOutbound(inflight, queue, backlog, lastPacketId);
    clear();
    frozen = f;
    return f;
  }

  /**
   * The move did not happen: what froze comes back ahead of what queued meanwhile, in its order
   * and under its seqs, so what the store holds is already right. Behind a frozen backlog, what
   * queued meanwhile lies on disk only too (a stored flow wrote every entry it took): the heap
   * keeps the frozen queue, and the backlog grows by the rest.
   */
  void thaw(FrozenOutbound f) {
    overtaken();
    frozen = null;
    if (!f.inflight.isEmpty()) {
      InflightWindow back = f.inflight;
      for (InflightMessage m : inflight.inOrder()) {
        // None should share an id (the window was emptied by the freeze); one that did would
        // stay in the window for good.
        if (back.contains(m.packetId())) {
          back.replace(m);
        } else {
          back.add(m);
        }
      }
      inflight = back;
    }
    QueueBacklog disk = f.backlog;
    if (disk != null) {
      if (queue != null) {
        queue.forEach(disk::spilled);
      }
      if (backlog != null) {
        disk.absorb(backlog);
      }
      backlog = disk;
      queue = f.queue;
    } else if (f.queue != null) {
      if (queue != null) {
        queue.forEach(f.queue::addLast);
      }
      queue = f.queue;
    }
  }

  /** An entry the store kept, at recovery: in flight once it had a packet id, else queued. */
  void recover(StoredMessage m) {
    journal.numberAbove(m.seq());
    int id = m.packetId();
    if (id == 0) {
      writableQueue().addLast(m.delivery(), m.seq());
    } else {
      writableInflight().add(new InflightMessage(id, m.delivery(), m.released(), m.seq()));
    }
  }

  /** At recovery: the queued entries the store left on disk, behind those recovered. */
  void recoverBacklog(StoredBacklog b) {
    journal.numberAbove(b.lastSeq());
    restoreBacklog(b);
  }

  /** The packet id last given out. */
  int lastPacketId() {
    return lastPacketId;
  }

  /** At recovery: packet ids go on from the one the store kept (in-flight ones are skipped). */
  void recoverLastPacketId(int id) {
    lastPacketId = id;
  }

  /** The journal of a stored session, or null. */
  SessionJournal journal() {
    return journal;
  }

  /**
   * The session is stored from now on ({@code j} non-null; its entries are written from {@link
   * #renumberAll}) or no longer (null).
   */
  void setJournal(SessionJournal j) {
    journal = j;
  }

  /**
   * The session is no longer stored: once what of its queue was only on disk is back on the heap,
   * returns whether the store may delete it now; not while entries it passed on are not safe where
   * they went (see {@link PassOn}): then {@link #passedOn} says so once they are.
   */
  boolean leaveStore() {
    if (journal == null) {
      return false;
    }
    materialize();
    leftStoreAt = journal.lastSeq();
    journal = null;
    return passingOn == null;
  }

  /**
   * The highest seq among this session's entries that the store may hold, 0 for none: for an
   * import of its client's state from another node, which goes above them ({@link
   * SessionImport#firstSeqAbove}).
   */
  long highestStoredSeq() {
    if (journal != null) {
      return journal.lastSeq();
    }
    return passingOn == null ? 0 : leftStoreAt;
  }

  void passOnStarted(PassOn p) {
    if (handingOn != null && handedPage == null) {
      handedPage = p; // a page of handOnSharedFirst: the next is read once it is safe
    }
    if (passingOn == null) {
      passingOn = new ArrayList<>(1);
    }
    passingOn.add(p);
  }

  /**
   * What {@code p} passed on is written where it went: its entries go from the store (while the
   * session is stored, through whichever journal: a state written whole meanwhile kept them under
   * their seqs), written before the release of the hold the new holders wrote under, so in one
   * unit with their copies. Unless {@code p}'s receipt was lost (a link refused its copy: the node
   * is stopping, or has no link to that node): then they stay, a duplicate after a restart rather
   * than a loss. Returns whether the session left the store meanwhile and this was the last
   * pass-on: the store may delete it now, which takes them too, unless one was lost ({@link
   * #keepsLostPassOn}).
   */
  boolean passedOn(PassOn p) {
    passingOn.remove(p);
    if (passingOn.isEmpty()) {
      passingOn = null;
    }
    boolean safe = !p.receipt.isLost();
    if (journal != null) {
      if (safe) {
        p.entries.forEach(e -> journal.remove(e.seq()));
      }
      if (p == handedPage && backlog != null) {
        handedPage = null;
        readWhole(backlog); // the next page: only asked for here, the hold waits for no read
      }
      return false;
    }
    passOnLost |= !safe;
    if (passingOn != null) {
      if (safe) {
        p.entries.forEach(e -> context.store().removeMessage(e.clientId(), e.seq()));
      }
      return false;
    }
    return true;
  }

  /** Whether a pass-on lost after the session left the store keeps it there (see {@link #passedOn}). */
  boolean keepsLostPassOn() {
    return passOnLost;
  }

  /**
   * Whether the store holds entries of the session that it passes on and are not safe where they
   * went yet: a session that left the store stays there until they are (see {@link #leaveStore}).
   */
  boolean isPassingOn() {
    return passingOn != null;
  }

  /**
   * Every message held, in order and numbered afresh by the journal: in flight with its packet
   * id, then the queue (what is only on disk is an import's, and stays where it is).
   * For a session that becomes stored, or whose state was replaced as a whole (a hand-over): it
   * writes them with its own part in one unit. Ahead of them, the entries of what it passes on
   * still ({@link PassOn#entries}), under their own seqs: the replacing unit keeps them until
   * their new holders have them, and the new entries are numbered above them.
   */
  List<StoredMessage> renumberAll(String clientId) {
    List<StoredMessage> all = new ArrayList<>(inflight.size() + inMemory());
    if (passingOn != null) {
      for (PassOn p : passingOn) {
        for (StoredMessage e : p.entries) {
          journal.numberAbove(e.seq());
          all.add(e);
        }
      }
    }
    if (!inflight.isEmpty()) {
      inflight.replaceAll(f -> f.renumbered(journal.nextSeq()));
      for (InflightMessage f : inflight.inOrder()) {
        all.add(new StoredMessage(clientId, f.seq(), f.delivery(), f.packetId(), f.released()));
      }
    }
    if (queue != null) {
      queue.renumber(journal::nextSeq);
      queue.forEach((d, seq) -> all.add(new StoredMessage(clientId, seq, d, 0, false)));
    }
    if (backlog != null) {
      // Only a state received in parts has one here (a session's own went with the state this
      // one replaced): its entries lie in the store from the import's first seq on, far above
      // these and the entries passed on (SessionImport.firstSeqAbove), and new ones are
      // numbered behind them.
      journal.numberAbove(backlog.lastSeq);
    }
    return all;
  }

  /** The client went offline: an in-flight window kept empty while it was online is let go. */
  void trim() {
    if (inflight != InflightWindow.NONE && inflight.isEmpty()) {
      inflight = InflightWindow.NONE;
    }
  }

  /** Drops every message; packet ids go on from the last one given out. */
  void clear() {
    overtaken();
    frozen = null;
    queue = null;
    backlog = null;
    inflight = InflightWindow.NONE;
    resendPending = null;
  }

  private int window(ClientConnection out) {
    return Math.min(out.receiveMaximum(), context.settings().maxInflight());
  }

  /**
   * Sends a QoS 1/2 delivery under a new packet id; {@code seq} is its entry in the store (0 when
   * the session is not stored). A stored session's QoS 2 PUBLISH waits for its packet id to be
   * durable (see {@link #packetIdDurable}).
   */
  private void sendNew(ClientConnection out, Delivery d, long seq, long now) {
    int id = nextPacketId();
    Publish p = OutboundPublish.of(d, id, false, out.version().isV5(), now);
    if (!fits(out, p)) {
      forget(seq);
      return;
    }
    writableInflight().add(new InflightMessage(id, d, false, seq));
    if (journal == null) {
      send(out, p);
      return;
    }
    journal.sent(seq, id);
    if (d.qos() == 2) {
      journal.sendWhenDurable(id);
    } else {
      send(out, p);
    }
  }

  /** Writes a PUBLISH unless it is too large for the client; returns whether it was written. */
  private boolean write(ClientConnection out, Publish p) {
    if (!fits(out, p)) {
      return false;
    }
    send(out, p);
    return true;
  }

  /** Whether the client takes a PUBLISH this large; one it does not is dropped and counted. */
  private boolean fits(ClientConnection out, Publish p) {
    long max = out.maximumPacketSize();
    if (max != Long.MAX_VALUE && MqttEncoder.encodedSize(p, out.version()) > max) {
      context.metrics().dropped(DropReason.TOO_LARGE);
      return false;
    }
    return true;
  }

  private void send(ClientConnection out, Publish p) {
    context.metrics().messageOut(p.qos(), p.payload().length);
    out.send(p);
  }


  private static void sendAck(ClientConnection out, PacketType type, int packetId, int reason) {
    if (out != null) {
      out.send(new MqttPacket.PubResponse(type, packetId, reason, MqttProperties.NONE));
    }
  }

  private void enqueue(Delivery d) {
    SessionSettings settings = context.settings();
    if (!makeRoom(d, settings)) {
      return;
    }
    if (journal == null) {
      writableQueue().addLast(d, 0);
      return;
    }
    long seq = journal.add(d);
    if (backlog == null && inMemory() < settings.queueMemoryMessages()) {
      writableQueue().addLast(d, seq);
      return;
    }
    if (backlog == null) {
      backlog = new QueueBacklog(0, 0, 0, seq - 1, seq);
    }
    backlog.spilled(d, seq);
  }

  /**
   * Makes room for {@code d} as {@code queue-overflow} says, each message that gives way counted
   * by the bound it broke: the count bound first, then the byte bound; but first, at a bound,
   * expired messages on the heap leave (counted as expired, as the drain would count them), so
   * they hold no room a live message needs. Returns whether {@code d} is queued. While the flow
   * is frozen for a move, the frozen part counts too; it cannot give way (it is the new owner's
   * if the move happens), so with {@code drop-oldest} what queued meanwhile does, and the new
   * message goes when that is not enough. A message larger than the whole byte bound never fits:
   * it goes itself, whatever the policy. With {@code drop-oldest}, bytes the heap cannot free are
   * owed by the oldest entries on disk ({@link QueueBacklog#owedBytes}): their sizes are known
   * only once read, so they go (counted) as they are, which is now.
   */
  private boolean makeRoom(Delivery d, SessionSettings settings) {
    long maxCount = settings.maxQueuedMessages();
    long max = settings.maxQueuedBytes();
    int size = d.queuedBytes();
    long frozenCount = frozen == null ? 0 : frozen.queuedCount();
    long frozenBytes = frozen == null ? 0 : frozen.queuedBytes();
    // Within both bounds, the common case: what is held is summed once.
    if (frozenCount + queuedCount() < maxCount && frozenBytes + queuedBytes() + size <= max) {
      return true;
    }
    dropExpired();
    boolean dropOldest = settings.queueOverflow() == SessionSettings.QueueOverflow.DROP_OLDEST;
    if (frozenCount + queuedCount() >= maxCount) {
      context.metrics().dropped(DropReason.QUEUE_FULL);
      if (!dropOldest || queuedCount() == 0) {
        return false;
      }
      dropOldest();
    }
    long held = queuedBytes();
    long over = frozenBytes + held + size - max;
    if (over <= 0) {
      return true;
    }
    // More than all it holds: nothing that can give way makes room (a message larger than the
    // whole bound, or a frozen part that fills it).
    if (!dropOldest || over > held) {
      context.metrics().dropped(DropReason.QUEUE_BYTES_FULL);
      return false;
    }
    while (over > 0 && queue != null) {
      over -= queue.first().queuedBytes();
      dropFirstQueued();
      context.metrics().dropped(DropReason.QUEUE_BYTES_FULL);
    }
    if (over > 0 && backlog != null) {
      backlog.owedBytes += over;
      readOwedDrops();
    }
    return true;
  }

  /**
   * The expired messages on the heap leave the queue (and the store), counted. Only when one may
   * have expired ({@link DeliveryQueue#mayHoldExpired}): a full queue of live messages is not
   * scanned for every message that finds it full.
   */
  private void dropExpired() {
    DeliveryQueue q = queue;
    long now = context.clock().millis();
    if (q == null || !q.mayHoldExpired(now)) {
      return;
    }
    q.removeIf(
        d -> d.message().isExpired(now),
        (d, seq) -> {
          context.metrics().dropped(DropReason.EXPIRED);
          forget(seq);
        });
    if (q.isEmpty()) {
      queue = null;
    }
  }

  /** The oldest queued message gives way (counted by the caller). */
  private void dropOldest() {
    if (queue != null) {
      dropFirstQueued();
    } else if (backlog != null && backlog.count > 0) {
      // The oldest is on disk and not read yet: it goes when it is, which is now.
      backlog.count--;
      backlog.owedDrops++;
      readOwedDrops();
    }
  }

  /** The first message on the heap leaves the queue (and the store). */
  private void dropFirstQueued() {
    forget(queue.firstSeq());
    queue.removeFirst();
    if (queue.isEmpty()) {
      queue = null;
    }
  }

  /**
   * Reads the oldest entries on disk that were dropped ({@link QueueBacklog#owedDrops}, {@link
   * QueueBacklog#owedBytes}), online or not, so {@link #takeFromBacklog} removes them from the
   * store now: left there until the queue drained to them, a restart meanwhile would deliver them
   * after all. Their seqs are not known here (a recovered backlog has gaps), so they are paid by
   * position, on the page reads' own path; one read at a time. Owed bytes read as much as the
   * heap has room for: how many entries pay them is known only once read, and what the page
   * brings beyond them joins the queue as any page does.
   */
  private void readOwedDrops() {
    QueueBacklog b = backlog;
    // A hand-on's page reads pay them as they reach them (see handOnRead), the rest once it is
    // over: one read at a time.
    if (b == null || b.reading || !b.owes() || handingOn != null) {
      return;
    }
    b.reading = true;
    int memory = context.settings().queueMemoryMessages();
    long n = b.owedBytes > 0 ? Math.max(1, memory - inMemory()) : b.owedDrops;
    journal.readLater(b, b.afterSeq, (int) Math.min(n, memory));
  }

  /** The entry {@code seq} is done with (a stored session's; nothing to do otherwise). */
  private void forget(long seq) {
    if (journal != null && seq != 0) {
      journal.remove(seq);
    }
  }

  private int nextPacketId() {
    // inflight is bounded by the window (<= 65535), so a free id always exists.
    int id = lastPacketId;
    do {
      id = id == MAX_PACKET_ID ? 1 : id + 1;
    } while (inflight.contains(id));
    lastPacketId = id;
    return id;
  }

  /** No unacknowledged PUBLISH waiting to be resent after a resume. */
  private boolean noResends() {
    return resendPending == null || resendPending.isEmpty();
  }

  private InflightWindow writableInflight() {
    if (inflight == InflightWindow.NONE) {
      inflight = new InflightWindow();
    }
    return inflight;
  }

  private void removeInflight(InflightMessage f) {
    // An emptied window is kept while the client is online (see trim): at a low rate every
    // message would otherwise make its arrays anew (docs/BENCHMARKS.md, "Where the tail comes
    // from").
    inflight.remove(f.packetId());
    forget(f.seq());
  }

  private DeliveryQueue writableQueue() {
    if (queue == null) {
      queue = new DeliveryQueue();
    }
    return queue;
  }
}
