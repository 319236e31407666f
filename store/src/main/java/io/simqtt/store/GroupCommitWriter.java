package io.simqtt.store;

import io.simqtt.core.session.WriteHold;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one writer thread: group commit. Callers on any thread queue writes and actions;
 * the thread takes everything queued (up to a batch's bound), writes it as one {@link
 * WriteBatch}, synced to disk when every batch is to be, and only then runs the actions queued
 * among those writes. So an action runs once every write queued before it is as durable as the
 * sync mode promises, and one disk sync covers the writes of every connection that queued
 * meanwhile. {@link Writes} that belong together (a session written whole, or deleted) go into
 * one batch, past the batch's bounds if need be, so a crash leaves all of them or none: RocksDB
 * applies a batch atomically, and a cut between them would leave a session half deleted.
 *
 * <p>A write may be made under a {@link Hold} (see {@link WriteHold}): it is not written before
 * the hold's release has come through the queue, and then in one batch with every other write
 * made under the hold, among them what its releaser wrote last ({@link Hold#releaseAfter}). So a
 * batch need not be a prefix of the queue: the writer writes what it took except what must wait,
 * and carries that, in order, to the next batch. What must wait: the writes of a hold still open;
 * a write of an entry an earlier write that waits also writes (a key, but a client's message
 * entries are one: {@link Keys#entryLength}), since the database and a page read must see them
 * in order; a range deleted while anything waits (not worth comparing); everything behind a write
 * not made under a hold that waits, or a range deletion that does, unless that write is entry-local
 * ({@link #putEntryLocal}: only later writes of its own entry depend on it, and actions, as with a
 * delivery's sent record or its removal once acknowledged); an action behind any of these,
 * since it runs only once every write queued before it is durable; and all of a released hold one
 * of whose writes must wait, so the hold stays one unit. So only the writes of holds (a message's
 * copies, with what completes them) and entry-local writes are ever overtaken, and only by writes
 * of other entries; the other writes not made under a hold keep the queue's order among
 * themselves, as before, since one may depend on another in ways no key shows (a peer frame's
 * seen record on its copy). That is safe
 * because what a hold's writes hold is a unit not yet begun on disk, all or none, and what
 * depends on it is in the unit, a later write of one of its entries (which waits), or an action
 * (which waits). Holds that overlap (a fan-out's copies taken on several loops, message after
 * message) thus delay each other's actions, and a released hold waits for an earlier one still
 * open only where both write the same entries (one subscriber's) or a write not under a hold
 * waits between them, never for a later one: they are written as the earlier ones are released,
 * with no need for a moment when none is open. A hold open for {@link #MAX_HOLD_NANOS} since the
 * writer took its first write is cut, counted ({@link #holdsCut}): its writes go as any, and for
 * it the unit is not atomic. So are all holds still open as the store closes, once a caller
 * waits for room in the queue while nothing else can be written (it may be the thread that would
 * release), and at once when a read blocked on the writer ({@link #afterDurableNow}) is behind
 * them. What waits has no bound of its own: it is part of the queue, whose bound makes callers
 * wait, and so cuts the holds once nothing but them keeps the queue full.
 *
 * <p>With sync per interval, a batch is written without a sync (the write-ahead log reaches the
 * operating system at once, which a process crash does not lose) and the log is synced every
 * interval while something is unsynced.
 *
 * <p>The queue is bounded in writes and bytes. A caller that finds it full waits until the
 * thread has written enough (counted as a stall); nothing is dropped. The bound is checked
 * before a write is queued, so callers arriving together can pass it by one write (or one
 * group of {@link Writes}, bounded by what one session holds) each. A write that fails (a full
 * or failing disk) is retried with growing pauses, its actions held, until it succeeds or the
 * store closes.
 *
 * <p>Any other error on the writer thread (an {@link Error} such as running out of memory, a bug
 * in a write or an action) fails the store for good rather than being retried: the writer can
 * no longer tell which writes of the batch it was making reached the database, and retrying or
 * going on could run an action, a PUBACK, for a write that was never made. So it stops: it logs
 * the error once with what it means, {@link #failure} reports it (the node's health probes and
 * {@code simqtt_store_failed} show it, so an orchestrator restarts the node, which recovers what
 * was durable), callers waiting at the bound are let go, and from then on every write and action
 * is refused and counted: nothing is acknowledged as durable again. Left to die silently, the
 * thread would hold every event loop that reaches the bound forever and leave every action
 * unrun without a word.
 */
final class GroupCommitWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
  /** A queued write costs this much besides its key and value (the queue node and record). */
  private static final int OVERHEAD_BYTES = 64;
  static final int MAX_BATCH_WRITES = 10_000;
  private static final long MAX_BATCH_BYTES = 16 << 20;
  private static final long IDLE_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long MAX_RETRY_PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long ERROR_LOG_GAP_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final long CLOSE_WAIT_MILLIS = 30_000;
  /**
   * How long a hold may stay open once the writer took its first write: a hold spans one
   * message's (or one peer frame's, or pass-on's) taking by its target sessions, each a task on
   * an event loop, so on a saturated node as long as those loops' queues are. Only what depends
   * on it waits meanwhile (later writes of its keys, actions behind it); at 50 ms, a QoS 2
   * fan-out that kept the loops' queues about 300 ms long had one hold in ten cut.
   */
  static final long MAX_HOLD_NANOS = TimeUnit.SECONDS.toNanos(1);

  private sealed interface Op
      permits Put, Delete, DeleteRange, Action, Writes, Held, Release {
    long bytes();

    /** Queued writes it counts as, against the queue's bound and a batch's. */
    default int count() {
      return 1;
    }
  }

  /** {@code entryLocal}: see {@link #putEntryLocal}. */
  private record Put(Family family, byte[] key, byte[] value, boolean entryLocal)
      implements Op {
    @Override
    public long bytes() {
      return OVERHEAD_BYTES + key.length + value.length;
    }
  }

  private record Delete(Family family, byte[] key) implements Op {
    @Override
    public long bytes() {
      return OVERHEAD_BYTES + key.length;
    }
  }

  private record DeleteRange(Family family, byte[] begin, byte[] end) implements Op {
    @Override
    public long bytes() {
      return OVERHEAD_BYTES + begin.length + end.length;
    }
  }

  /**
   * {@code blocking}: a caller blocks until it runs (a read), so holds open before it are cut
   * rather than waited for.
   */
  private record Action(Runnable action, boolean blocking) implements Op {
    @Override
    public long bytes() {
      return OVERHEAD_BYTES;
    }
  }

  /** A write made under a hold. */
  private record Held(Op op, Hold hold) implements Op {
    @Override
    public long bytes() {
      return op.bytes();
    }

    @Override
    public int count() {
      return op.count();
    }
  }

  /** Where a hold's release came in the queue: what was queued before goes with its writes. */
  private record Release(Hold hold) implements Op {
    @Override
    public long bytes() {
      return OVERHEAD_BYTES;
    }

    @Override
    public int count() {
      return 0;
    }
  }

  /**
   * See {@link WriteHold}. NEW until the writer takes a held write, OPEN until it takes the
   * release, DONE after (or once cut): a held write taken then goes as any. Its state is the
   * writer thread's.
   */
  final class Hold implements WriteHold {
    private static final int NEW = 0;
    private static final int OPEN = 1;
    private static final int DONE = 2;
    private int state = NEW;
    /** When the writer took its first write: it is cut {@link #maxHoldNanos} after. */
    private long openedAt;
    /** The last sorting pass that put a write of it among what may be written now. */
    private long readyIn = -1;

    @Override
    public void release() {
      enqueue(new Release(this));
    }

    /**
     * Runs {@code last}, every write it queues on this thread made under this hold, then
     * releases it (whatever {@code last} threw).
     */
    @Override
    public void releaseAfter(Runnable last) {
      Hold outer = RELEASING.get();
      RELEASING.set(this);
      try {
        if (last != null) {
          last.run();
        }
      } finally {
        RELEASING.set(outer);
        release();
      }
    }

    private GroupCommitWriter writer() {
      return GroupCommitWriter.this;
    }
  }

  /** The hold whose releaser runs on this thread ({@link Hold#releaseAfter}), or null. */
  private static final ThreadLocal<Hold> RELEASING = new ThreadLocal<>();

  /**
   * The entry a write that waits writes ({@link Keys#entryLength}: a client's message entries are
   * one), in a form a hash set compares by content.
   */
  private record WaitingKey(Family family, ByteBuffer key) {
    WaitingKey(Family family, byte[] key) {
      this(family, ByteBuffer.wrap(key, 0, Keys.entryLength(family, key)));
    }
  }

  /**
   * Writes that reach the database together or not at all: the writer puts them into one {@link
   * WriteBatch} whatever its bounds. Made by one thread and given to {@link #write}; each write
   * counts against the queue's bound.
   */
  static final class Writes implements Op {
    private final List<Op> ops = new ArrayList<>();
    private long bytes;
    private boolean entryLocal;

    Writes put(Family family, byte[] key, byte[] value) {
      return add(new Put(family, key, value, false));
    }

    /**
     * Marks these writes as written to one entry that nothing else depends on (see {@link
     * #putEntryLocal}): a delivery's removal once its client acknowledged it.
     */
    Writes entryLocal() {
      entryLocal = true;
      return this;
    }

    Writes delete(Family family, byte[] key) {
      return add(new Delete(family, key));
    }

    /** Deletes the keys from {@code begin} (included) to {@code end} (excluded). */
    Writes deleteRange(Family family, byte[] begin, byte[] end) {
      return add(new DeleteRange(family, begin, end));
    }

    private Writes add(Op op) {
      ops.add(op);
      bytes += op.bytes();
      return this;
    }

    @Override
    public long bytes() {
      return bytes;
    }

    @Override
    public int count() {
      return ops.size();
    }
  }

  private final RocksDB db;
  private final Map<Family, ColumnFamilyHandle> families;
  private final Path dataDir;
  private final boolean syncEachBatch;
  private final long syncIntervalNanos;
  private final int maxPendingWrites;
  private final long maxPendingBytes;
  private final WriteOptions writeOptions;
  private final Thread thread;

  private final ConcurrentLinkedQueue<Op> queue = new ConcurrentLinkedQueue<>();
  // Writer thread only: what it took from the queue and has not written, how much it counts ...
  private int takenWrites;
  private long takenBytes;
  // ... the holds whose held write it took and whose release it has not, oldest first (a hold
  // released or cut meanwhile is skipped as it reaches the head), and how many ...
  private final ArrayDeque<Hold> openHolds = new ArrayDeque<>();
  private int openCount;
  // ... what was taken sorted in two (see the class comment): what may be written now, and what
  // waits, each in queue order, with what the waiting writes write and the released holds that
  // wait whole; then what was taken since, not sorted yet, all of it behind what waits ...
  private final List<Op> ready = new ArrayList<>();
  private int readyWrites;
  private long readyBytes;
  private ArrayDeque<Op> waiting = new ArrayDeque<>();
  private final Set<WaitingKey> waitingKeys = new HashSet<>();
  /** A write not made under a hold, or a range deletion, waits: nothing taken after it goes. */
  private boolean nothingOvertakes;
  private final Set<Hold> waitingHolds = new HashSet<>();
  private final List<Op> fresh = new ArrayList<>();
  // ... and whether a hold was released or cut since the sort: what waits is sorted again.
  private boolean resort;
  // The batch's actions, whether interval mode left a write unsynced and when it last synced,
  // and whether and since when the writer waits for a release.
  private final List<Runnable> actions = new ArrayList<>();
  private boolean unsynced;
  private long lastSync = System.nanoTime();
  private boolean waitingForRelease;
  private long waitSince;
  /**
   * Counts sorting passes: a released hold found to wait makes the pass sort again only if one of
   * its writes went ahead in it (under a fan-out, one whose first write follows an earlier hold's,
   * as a subscriber's entries do, costs nothing more). The pass goes on to its end first, marking
   * every such hold, so many of them cost one more pass, not one each.
   */
  private long pass;
  private ArrayDeque<Op> spare = new ArrayDeque<>();
  private volatile long maxHoldNanos = MAX_HOLD_NANOS;
  private final AtomicInteger pendingWrites = new AtomicInteger();
  private final AtomicLong pendingBytes = new AtomicLong();
  /** Callers wait on it for room; the writer notifies it when it frees some and one waits. */
  private final Object room = new Object();
  /** Changed under {@link #room}; read by the writer without it. */
  private volatile int waiters;
  private volatile boolean parked;
  private volatile boolean closing;
  /** Set when close gave up waiting for a failing disk: the writer leaves what is queued. */
  private volatile boolean abandon;
  /**
   * Completed exceptionally with what stopped the writer thread (see the class comment); a
   * caller waiting for a write stops waiting then.
   */
  private final CompletableFuture<Void> failed = new CompletableFuture<>();

  private final AtomicLong stalls = new AtomicLong();
  private final AtomicLong stallNanos = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  // Written by the writer thread only.
  private volatile long batches;
  private volatile long batchedWrites;
  private volatile long syncs;
  private volatile long syncNanos;
  private volatile long writeErrors;
  private volatile int waitingWrites;
  private volatile long holdWaits;
  private volatile long holdWaitNanos;
  /** By {@link HoldCut}'s ordinal; written by the writer thread only. */
  private final AtomicLongArray holdsCut = new AtomicLongArray(HoldCut.values().length);
  private long lastErrorLogNanos;
  /** Tests only: runs on the writer thread after each batch is written, before its actions. */
  private volatile Runnable afterEachBatch;

  /**
   * @param syncIntervalNanos 0: every batch is synced before its actions run; above 0: batches
   *     are written unsynced and the log synced this often
   */
  GroupCommitWriter(
      RocksDB db,
      Map<Family, ColumnFamilyHandle> families,
      Path dataDir,
      long syncIntervalNanos,
      int maxPendingWrites,
      long maxPendingBytes) {
    this.db = db;
    this.families = families;
    this.dataDir = dataDir;
    this.syncEachBatch = syncIntervalNanos == 0;
    this.syncIntervalNanos = syncIntervalNanos;
    this.maxPendingWrites = maxPendingWrites;
    this.maxPendingBytes = maxPendingBytes;
    this.writeOptions = new WriteOptions().setSync(syncEachBatch);
    this.thread = new Thread(this::run, "simqtt-store-writer");
    thread.setDaemon(true);
    thread.start();
  }

  void put(Family family, byte[] key, byte[] value) {
    enqueue(new Put(family, key, value, false));
  }

  /**
   * {@link #put} of a write that only later writes of its own entry depend on, and actions (a
   * delivery's sent record): while it waits behind an earlier write of its entry, writes of other
   * entries taken after it may go ahead of it (see the class comment).
   */
  void putEntryLocal(Family family, byte[] key, byte[] value) {
    enqueue(new Put(family, key, value, true));
  }

  void delete(Family family, byte[] key) {
    enqueue(new Delete(family, key));
  }

  /**
   * {@link #put} under {@code hold}: not written before the hold's release is taken. A hold this
   * writer did not give out (null, {@link WriteHold#NONE}, another store's) holds nothing here.
   */
  void put(Family family, byte[] key, byte[] value, WriteHold hold) {
    Put put = new Put(family, key, value, false);
    enqueue(hold instanceof Hold h && h.writer() == this ? new Held(put, h) : put);
  }

  Hold hold() {
    return new Hold();
  }

  /** Queues {@code writes} to reach the database together, in one batch. */
  void write(Writes writes) {
    if (writes.count() > 0) {
      enqueue(writes);
    }
  }

  /** Runs {@code action} on the writer thread once every write queued before is durable. */
  void afterDurable(Runnable action) {
    enqueue(new Action(action, false));
  }

  /**
   * {@link #afterDurable} for a caller that blocks until {@code action} runs (a read on an event
   * loop): the holds open before it are cut at once (counted) rather than waited for, since the
   * thread that would release one may be the caller's, its release queued behind the read.
   */
  void afterDurableNow(Runnable action) {
    enqueue(new Action(action, true));
  }

  private void enqueue(Op op) {
    if (op instanceof Release && (closing || failed.isDone())) {
      return; // nothing is written any more: there is nothing left to hold
    }
    if (closing) {
      // After the broker closed: nothing may still depend on it. An action is not run, since
      // its writes may not be durable.
      if (refused.getAndIncrement() == 0) {
        LOG.warn("store in {}: a write came after the store began to close; not written"
            + " (counted, logged once)", dataDir);
      }
      return;
    }
    if (!(op instanceof Release)) {
      // A release takes no room, and may be what the writer waits for to make some.
      waitForRoom();
      Hold releasing = RELEASING.get();
      if (releasing != null && releasing.writer() == this && !(op instanceof Held)
          && !(op instanceof Action)) {
        op = new Held(op, releasing);
      }
    }
    if (failed.isDone()) {
      // The writer stopped (logged then): nothing is written, and no action runs.
      refused.incrementAndGet();
      return;
    }
    pendingWrites.addAndGet(op.count());
    pendingBytes.addAndGet(op.bytes());
    queue.add(op);
    if (parked) {
      LockSupport.unpark(thread);
    }
  }

  private boolean full() {
    return pendingWrites.get() >= maxPendingWrites || pendingBytes.get() >= maxPendingBytes;
  }

  /**
   * Back-pressure: waits while the queue is at its bound. Never on the writer thread itself (an
   * action that writes), which would wait for itself.
   */
  private void waitForRoom() {
    if (!full() || Thread.currentThread() == thread) {
      return;
    }
    stalls.incrementAndGet();
    long start = System.nanoTime();
    synchronized (room) {
      waiters++;
      LockSupport.unpark(thread); // a writer waiting for a release cuts it for us (class comment)
      try {
        while (full() && !closing && !failed.isDone()) {
          room.wait();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // queued anyway: dropping is not an option
      } finally {
        waiters--;
      }
    }
    stallNanos.addAndGet(System.nanoTime() - start);
  }

  private void run() {
    try {
      writeUntilClosed();
    } catch (Throwable t) {
      fail(t);
    } finally {
      synchronized (room) {
        room.notifyAll(); // callers waiting for room see the close or the failure
      }
    }
  }

  private void fail(Throwable t) {
    failed.completeExceptionally(t);
    LOG.error("store in {}: the writer thread failed on an unexpected error and stopped; from"
        + " now on nothing is written and nothing waiting for a write (PUBACK, PUBREC, outbound"
        + " QoS 2) is sent: restart the node, which recovers what was durable ({} writes"
        + " queued are lost)", dataDir, pendingWrites.get(), t);
  }

  private void writeUntilClosed() {
    try (WriteBatch batch = new WriteBatch()) {
      while (!abandon) {
        takeQueued();
        long now = System.nanoTime();
        if (waiting.isEmpty() && fresh.isEmpty()) {
          if (syncIfDue(now)) {
            continue;
          }
          if (closing) {
            if (queue.isEmpty()) {
              break;
            }
            // Queued before the close began, after this loop looked: written before it ends.
            continue;
          }
          parkUnlessQueued(unsynced ? syncIntervalNanos - (now - lastSync) : IDLE_PARK_NANOS);
          continue;
        }
        cutExpiredHolds(now);
        sortOut();
        if (ready.isEmpty()) {
          // All that was taken waits for holds still open.
          if (!waitingForRelease) {
            waitingForRelease = true;
            waitSince = now;
            holdWaits++;
          }
          HoldCut why = mustCut();
          if (why == null) {
            // What earlier batches wrote unsynced is not to wait for a release.
            if (!syncIfDue(now)) {
              long left = openHolds.getFirst().openedAt + maxHoldNanos - now;
              parkUnlessQueued(
                  unsynced ? Math.min(left, syncIntervalNanos - (now - lastSync)) : left);
            }
            continue;
          }
          cutOpenHolds(why);
          sortOut();
        }
        if (waitingForRelease) {
          waitingForRelease = false;
          holdWaitNanos += System.nanoTime() - waitSince;
        }
        if (!writeReady(batch)) {
          return; // abandoned: its actions never run
        }
        // Interval mode under steady load: the queue is never empty, so the sync is due here
        // too, or a power cut would lose everything since the last idle moment.
        syncIfDue(System.nanoTime());
      }
      if (unsynced) {
        syncLog();
      }
    }
  }

  /**
   * Writes {@link #ready} as one batch, then lets callers waiting for room go and runs the
   * actions it held; false if the store closed while the disk failed (nothing more is run).
   */
  private boolean writeReady(WriteBatch batch) {
    int writes = readyWrites;
    long bytes = readyBytes;
    for (Op op : ready) {
      add(batch, actions, op);
    }
    ready.clear();
    readyWrites = 0;
    readyBytes = 0;
    takenWrites -= writes;
    takenBytes -= bytes;
    if (batch.count() > 0 && !commit(batch)) {
      return false;
    }
    batch.clear();
    Runnable hook = afterEachBatch;
    if (hook != null) {
      hook.run();
    }
    unsynced |= !syncEachBatch && writes > actions.size();
    pendingWrites.addAndGet(-writes);
    pendingBytes.addAndGet(-bytes);
    if (waiters > 0) {
      synchronized (room) {
        room.notifyAll();
      }
    }
    for (Runnable a : actions) {
      runAction(a);
    }
    actions.clear();
    return true;
  }

  /** Interval mode: syncs the log if something is unsynced and the interval is over. */
  private boolean syncIfDue(long now) {
    if (!unsynced || now - lastSync < syncIntervalNanos) {
      return false;
    }
    unsynced = !syncLog();
    lastSync = now;
    return true;
  }

  /** Parks up to {@code nanos} unless something is queued (or the holds must be cut). */
  private void parkUnlessQueued(long nanos) {
    parked = true;
    if (queue.isEmpty() && mustCut() == null) {
      LockSupport.parkNanos(this, nanos);
    }
    parked = false;
  }

  /**
   * Takes what is queued until the queue is empty or a batch's bounds are reached past what
   * waits already.
   */
  private void takeQueued() {
    int most = takenWrites + MAX_BATCH_WRITES;
    long mostBytes = takenBytes + MAX_BATCH_BYTES;
    Op op;
    while (takenWrites < most && takenBytes < mostBytes && (op = queue.poll()) != null) {
      if (op instanceof Held h && h.hold().state == Hold.NEW) {
        Hold hold = h.hold();
        hold.state = Hold.OPEN;
        hold.openedAt = System.nanoTime();
        openHolds.add(hold);
        openCount++;
      } else if (op instanceof Release r) {
        if (r.hold().state == Hold.OPEN) {
          openCount--;
          resort = true;
        }
        r.hold().state = Hold.DONE;
      } else if (op instanceof Action a && a.blocking() && openCount > 0) {
        cutOpenHolds(HoldCut.READ);
      }
      fresh.add(op);
      takenWrites += op.count();
      takenBytes += op.bytes();
    }
  }

  /**
   * Sorts what was taken into what may be written now ({@link #ready}) and what waits ({@link
   * #waiting}; see the class comment). What waits already is sorted again only when a hold was
   * released or cut since (else nothing of it can go yet), so a writer waiting for a release
   * sorts only what it takes meanwhile.
   */
  private void sortOut() {
    if (resort || !sortFresh()) {
      resort = false;
      ArrayDeque<Op> all = waiting;
      all.addAll(fresh);
      fresh.clear();
      waiting = spare;
      waitingHolds.clear();
      while (!sortAll(all)) {
        // released holds were found to wait: all of each waits, sorted again
      }
      spare = all;
      spare.clear();
    }
    waitingWrites = takenWrites - readyWrites;
  }

  /** Sorts {@link #fresh} behind what waits; false, having undone it, if all must be sorted. */
  private boolean sortFresh() {
    pass++;
    int before = waiting.size();
    for (Op op : fresh) {
      if (!place(op)) {
        while (waiting.size() > before) {
          waiting.pollLast();
        }
        ready.clear();
        readyWrites = 0;
        readyBytes = 0;
        return false;
      }
    }
    fresh.clear();
    return true;
  }

  /**
   * Sorts {@code all} afresh; false if released holds must wait whole (marked, each found in this
   * pass), and it is to be sorted again.
   */
  private boolean sortAll(ArrayDeque<Op> all) {
    pass++;
    ready.clear();
    readyWrites = 0;
    readyBytes = 0;
    waiting.clear();
    waitingKeys.clear();
    nothingOvertakes = false;
    boolean sorted = true;
    for (Op op : all) {
      sorted &= place(op);
    }
    return sorted;
  }

  /**
   * Puts {@code op}, taken after everything sorted so far, into {@link #ready} or {@link
   * #waiting}; false if it is a released hold's write that must wait while another of its writes
   * went into {@link #ready} in this pass: all of the hold must wait (it is marked so), and the
   * pass is to be sorted again.
   */
  private boolean place(Op op) {
    Hold hold = op instanceof Held h ? h.hold() : null;
    Op write = hold != null ? ((Held) op).op() : op;
    boolean held = hold != null && (hold.state == Hold.OPEN || waitingHolds.contains(hold));
    if (!held && (waiting.isEmpty() || !nothingOvertakes && !mustFollow(write))) {
      ready.add(op);
      readyWrites += op.count();
      readyBytes += op.bytes();
      if (hold != null) {
        hold.readyIn = pass;
      }
      return true;
    }
    // A write of it went ahead in this pass: sorted again, it waiting whole.
    boolean resortWhole = !held && hold != null && waitingHolds.add(hold) && hold.readyIn == pass;
    waiting.add(op);
    remember(write);
    if (hold == null && !(write instanceof Action) && !isEntryLocal(write)) {
      // What follows may depend on it in ways no key shows (a peer frame's seen record on its
      // copy): it keeps its place in the queue's order.
      nothingOvertakes = true;
    }
    return !resortWhole;
  }

  private static boolean isEntryLocal(Op write) {
    return write instanceof Put p ? p.entryLocal() : write instanceof Writes w && w.entryLocal;
  }

  /**
   * Whether {@code write} must stay behind what waits already, no range deletion among it: see
   * the class comment.
   */
  private boolean mustFollow(Op write) {
    if (write instanceof Put p) {
      return waitingKeys.contains(new WaitingKey(p.family(), p.key()));
    } else if (write instanceof Delete d) {
      return waitingKeys.contains(new WaitingKey(d.family(), d.key()));
    } else if (write instanceof Writes w) {
      for (Op each : w.ops) {
        if (mustFollow(each)) {
          return true;
        }
      }
      return false;
    }
    return write instanceof Action || write instanceof DeleteRange; // a range: not worth finding
  }

  private void remember(Op write) {
    if (write instanceof Put p) {
      waitingKeys.add(new WaitingKey(p.family(), p.key()));
    } else if (write instanceof Delete d) {
      waitingKeys.add(new WaitingKey(d.family(), d.key()));
    } else if (write instanceof DeleteRange) {
      nothingOvertakes = true;
    } else if (write instanceof Writes w) {
      for (Op each : w.ops) {
        remember(each);
      }
    }
  }

  /**
   * Why the holds still open are to be cut now rather than waited for (class comment), or null
   * if they are not.
   */
  private HoldCut mustCut() {
    if (closing || abandon) {
      return HoldCut.CLOSE;
    } else if (waiters > 0) {
      return HoldCut.ROOM;
    }
    return null;
  }

  /** Cuts the holds open for {@link #maxHoldNanos} or longer (oldest first), counted. */
  private void cutExpiredHolds(long now) {
    Hold h;
    while ((h = openHolds.peekFirst()) != null
        && (h.state != Hold.OPEN || now - h.openedAt >= maxHoldNanos)) {
      openHolds.pollFirst();
      if (h.state == Hold.OPEN) {
        cut(h, HoldCut.AGE);
      }
    }
  }

  /** Gives up the holds still open: all that was taken may be written (class comment). */
  private void cutOpenHolds(HoldCut why) {
    for (Hold h : openHolds) {
      if (h.state == Hold.OPEN) {
        cut(h, why);
      }
    }
    openHolds.clear();
  }

  private void cut(Hold h, HoldCut why) {
    h.state = Hold.DONE;
    openCount--;
    holdsCut.incrementAndGet(why.ordinal());
    resort = true;
  }

  private void add(WriteBatch batch, List<Runnable> actions, Op op) {
    try {
      if (op instanceof Put p) {
        batch.put(families.get(p.family()), p.key(), p.value());
      } else if (op instanceof Delete d) {
        batch.delete(families.get(d.family()), d.key());
      } else if (op instanceof DeleteRange r) {
        batch.deleteRange(families.get(r.family()), r.begin(), r.end());
      } else if (op instanceof Writes w) {
        for (Op each : w.ops) {
          add(batch, actions, each);
        }
      } else if (op instanceof Held h) {
        add(batch, actions, h.op());
      } else if (op instanceof Action a) {
        actions.add(a.action());
      }
      // A Release writes nothing: it was accounted for when taken.
    } catch (RocksDBException e) {
      throw new IllegalStateException("a write batch refused an entry", e);
    }
  }

  /** Writes the batch, retrying while the disk fails; false if the store closed meanwhile. */
  private boolean commit(WriteBatch batch) {
    long pause = TimeUnit.MILLISECONDS.toNanos(10);
    while (true) {
      try {
        long start = System.nanoTime();
        db.write(writeOptions, batch);
        if (syncEachBatch) {
          countSync(System.nanoTime() - start);
        }
        batches++;
        batchedWrites += batch.count();
        return true;
      } catch (RocksDBException e) {
        failed("writing " + batch.count() + " entries", e);
        if (abandon) {
          return false;
        }
        LockSupport.parkNanos(this, pause);
        pause = Math.min(pause * 2, MAX_RETRY_PAUSE_NANOS);
      }
    }
  }

  /** Syncs the write-ahead log; false if that failed (tried again at the next interval). */
  private boolean syncLog() {
    try {
      long start = System.nanoTime();
      db.syncWal();
      countSync(System.nanoTime() - start);
      return true;
    } catch (RocksDBException e) {
      failed("syncing the write-ahead log", e);
      return false;
    }
  }

  private void countSync(long nanos) {
    syncs++;
    syncNanos += nanos;
  }

  private void failed(String what, RocksDBException e) {
    writeErrors++;
    long now = System.nanoTime();
    if (writeErrors == 1 || now - lastErrorLogNanos >= ERROR_LOG_GAP_NANOS) {
      lastErrorLogNanos = now;
      LOG.error("store in {}: {} failed ({} failures so far), retrying; acknowledgements wait"
          + " meanwhile: {}", dataDir, what, writeErrors, e.getMessage());
    }
  }

  /** An action's exception is its own bug, logged; an {@link Error} stops the writer. */
  private void runAction(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      LOG.error("store in {}: an action after a durable write failed", dataDir, e);
    }
  }

  /** Writes what is queued (waiting for a failing disk at most 30 s), then stops the thread. */
  @Override
  public void close() {
    closing = true;
    LockSupport.unpark(thread);
    synchronized (room) {
      room.notifyAll();
    }
    try {
      thread.join(CLOSE_WAIT_MILLIS);
      if (thread.isAlive()) {
        abandon = true;
        LockSupport.unpark(thread);
        thread.join();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    int left = pendingWrites.get();
    if (left > 0) {
      LOG.error("store in {}: closed with {} writes not written (the disk or the writer failed,"
          + " or they came as it closed); their acknowledgements were never sent", dataDir, left);
    }
    writeOptions.close();
  }

  int pendingWrites() {
    return pendingWrites.get();
  }

  long pendingBytes() {
    return pendingBytes.get();
  }

  /** Times a caller found the queue full and waited. */
  long stalls() {
    return stalls.get();
  }

  long stallNanos() {
    return stallNanos.get();
  }

  /** Batches written. */
  long batches() {
    return batches;
  }

  /** Entries written in all batches (divided by {@link #batches}: the mean batch). */
  long batchedWrites() {
    return batchedWrites;
  }

  /** Disk syncs: synced batches, or write-ahead log syncs every interval. */
  long syncs() {
    return syncs;
  }

  long syncNanos() {
    return syncNanos;
  }

  long writeErrors() {
    return writeErrors;
  }

  /**
   * Writes (and actions) the writer took and keeps back, as it last sorted them, for holds still
   * open: theirs and what must stay behind them (see the class comment).
   */
  int waitingWrites() {
    return waitingWrites;
  }

  /**
   * Times the writer waited for a release, having taken nothing it could write without it, and
   * the time it waited.
   */
  long holdWaits() {
    return holdWaits;
  }

  long holdWaitNanos() {
    return holdWaitNanos;
  }

  /** Holds cut: their writes were written before their release came (see the class comment). */
  long holdsCut() {
    long all = 0;
    for (HoldCut why : HoldCut.values()) {
      all += holdsCut(why);
    }
    return all;
  }

  long holdsCut(HoldCut why) {
    return holdsCut.get(why.ordinal());
  }

  /** Tests only: how long a held write may keep the writer waiting ({@link #MAX_HOLD_NANOS}). */
  void maxHoldNanos(long nanos) {
    maxHoldNanos = nanos;
  }

  /** Tests only: sorting passes so far (see {@link #pass}); read on the writer thread. */
  long sortingPasses() {
    return pass;
  }

  /** Tests only: {@code hook} runs on the writer thread after each batch is written. */
  void afterEachBatch(Runnable hook) {
    afterEachBatch = hook;
  }

  /** Writes and actions not queued: they came after the store began to close or failed. */
  long refused() {
    return refused.get();
  }

  /** What stopped the writer for good (see the class comment), or null while it runs. */
  Throwable failure() {
    return failed.handle((ignored, t) -> t).getNow(null);
  }

  /** Completes exceptionally once the writer fails; never completes normally. */
  CompletableFuture<Void> failed() {
    return failed;
  }
}
