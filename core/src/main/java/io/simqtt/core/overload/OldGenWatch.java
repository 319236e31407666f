package io.simqtt.core.overload;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a {@link HeapGuard} from the JVM's garbage collection notifications (on the JVM's
 * notification thread; nothing runs on the message path). The guard is given what the old
 * generation held right after its own last collection ({@link MemoryPoolMXBean#getCollectionUsage}):
 * live data, not garbage waiting for the next one.
 *
 * <p>The old generation is the heap pool that supports usage thresholds (HotSpot's eden and
 * survivor pools do not): "PS Old Gen", "G1 Old Gen", "Tenured Gen", ZGC's and Shenandoah's one
 * heap pool.
 *
 * <p>Two cases where waiting for the JVM to collect the old generation by itself is not enough,
 * and a thread of this watch asks for a full collection ({@code System.gc()}):
 *
 * <ul>
 *   <li>After a young collection the old generation is over the guard's mark. It may be garbage
 *       (the parallel collector lets it pile up until the old generation is full) or live data
 *       arriving faster than the JVM would look (a flood): a collection now tells which, before
 *       the heap runs out.
 *   <li>The guard is on and the old generation has not been collected for {@link #NUDGE_MILLIS}.
 *       A node that reads nothing allocates little, so the JVM may not collect again and see that
 *       memory was freed (sessions expiring, queues drained).
 * </ul>
 *
 * With {@code -XX:+DisableExplicitGC} neither happens and the guard sees only what the JVM
 * collects by itself.
 */
final class OldGenWatch {
  private static final Logger LOG = LoggerFactory.getLogger(OldGenWatch.class);
  static final long NUDGE_MILLIS = 1000;

  private final HeapGuard guard;
  private final List<MemoryPoolMXBean> oldPools;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener onCollection = this::onNotification;
  private final ScheduledExecutorService collector;
  private final AtomicBoolean collectionAsked = new AtomicBoolean();
  /** Confined to the notification thread. */
  private long lastLiveUsed = -1;
  private volatile long lastOldCollectionNanos = System.nanoTime();

  private OldGenWatch(HeapGuard guard, List<MemoryPoolMXBean> oldPools) {
    this.guard = guard;
    this.oldPools = oldPools;
    collector = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "simqtt-heap-guard");
      t.setDaemon(true);
      return t;
    });
    collector.scheduleWithFixedDelay(
        this::nudge, NUDGE_MILLIS, NUDGE_MILLIS, TimeUnit.MILLISECONDS);
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(onCollection, null, null);
        emitters.add(emitter);
      }
    }
  }

  /** Starts watching for {@code guard}; null (and a warning) when this JVM has no such pool. */
  static OldGenWatch start(HeapGuard guard) {
    List<MemoryPoolMXBean> pools = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.isUsageThresholdSupported()
          && pool.isCollectionUsageThresholdSupported()) {
        pools.add(pool);
      }
    }
    if (pools.isEmpty()) {
      LOG.warn("heap guard off: this JVM reports no old generation pool to watch");
      return null;
    }
    return new OldGenWatch(guard, pools);
  }

  private void onNotification(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    String action =
        GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData()).getGcAction();
    long live = 0;
    long now = 0;
    long max = 0;
    for (MemoryPoolMXBean pool : oldPools) {
      MemoryUsage afterOwn = pool.getCollectionUsage();
      MemoryUsage current = pool.getUsage();
      live += afterOwn == null ? 0 : afterOwn.getUsed();
      now += current.getUsed();
      max += current.getMax() > 0 ? current.getMax() : Runtime.getRuntime().maxMemory();
    }
    if (action.contains("major") || live != lastLiveUsed) {
      // The old generation itself was collected: what it still holds is live.
      lastLiveUsed = live;
      lastOldCollectionNanos = System.nanoTime();
      guard.afterCollection(live, max);
    } else if (!guard.active() && now > guard.settings().stopAbove() * max) {
      askForCollection();
    }
  }

  private void nudge() {
    if (guard.active() && System.nanoTime() - lastOldCollectionNanos
        > TimeUnit.MILLISECONDS.toNanos(NUDGE_MILLIS)) {
      LOG.debug("heap guard on and no old collection for {} ms: asking for one", NUDGE_MILLIS);
      System.gc();
    }
  }

  /** One full collection on this watch's thread, however many young ones ask meanwhile. */
  private void askForCollection() {
    if (collectionAsked.compareAndSet(false, true)) {
      collector.execute(() -> {
        collectionAsked.set(false);
        LOG.debug("old generation over the heap guard's mark after a young collection:"
            + " a full collection tells whether it is live");
        System.gc();
      });
    }
  }

  void close() {
    collector.shutdownNow();
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(onCollection);
      } catch (ListenerNotFoundException ignored) {
        // never added
      }
    }
  }
}
