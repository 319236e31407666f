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
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a {@link HeapGuard} from the JVM: after every garbage collection (a JMX notification, on
 * the JVM's notification thread) it reads what the old generation held right after its own last
 * collection ({@link MemoryPoolMXBean#getCollectionUsage}), which is live data and not garbage
 * waiting for the next one. Nothing runs on the message path.
 *
 * <p>The old generation is the heap pool that supports usage thresholds (HotSpot's eden and
 * survivor pools do not): "PS Old Gen", "G1 Old Gen", "Tenured Gen", ZGC's and Shenandoah's one
 * heap pool.
 *
 * <p>A node whose guard is on reads nothing, so it may allocate too little for the JVM to collect
 * again and see that memory was freed (sessions expiring, queues drained by kicks). While the
 * guard is on and no collection has happened for {@link #NUDGE_MILLIS}, a thread of its own asks
 * for one ({@code System.gc()}); that is the only time the guard causes a collection.
 */
final class OldGenWatch {
  private static final Logger LOG = LoggerFactory.getLogger(OldGenWatch.class);
  static final long NUDGE_MILLIS = 1000;

  private final HeapGuard guard;
  private final List<MemoryPoolMXBean> oldPools;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final NotificationListener onCollection = this::onNotification;
  private final ScheduledExecutorService nudger;
  private volatile long lastCollectionNanos = System.nanoTime();

  private OldGenWatch(HeapGuard guard, List<MemoryPoolMXBean> oldPools) {
    this.guard = guard;
    this.oldPools = oldPools;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(onCollection, null, null);
        emitters.add(emitter);
      }
    }
    nudger = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "simqtt-heap-guard");
      t.setDaemon(true);
      return t;
    });
    nudger.scheduleWithFixedDelay(this::nudge, NUDGE_MILLIS, NUDGE_MILLIS, TimeUnit.MILLISECONDS);
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
    lastCollectionNanos = System.nanoTime();
    long used = 0;
    long max = 0;
    for (MemoryPoolMXBean pool : oldPools) {
      MemoryUsage after = pool.getCollectionUsage();
      if (after == null) {
        continue;
      }
      used += after.getUsed();
      long poolMax = after.getMax() > 0 ? after.getMax() : Runtime.getRuntime().maxMemory();
      max += poolMax;
    }
    guard.afterCollection(used, max);
  }

  private void nudge() {
    if (guard.active()
        && System.nanoTime() - lastCollectionNanos > TimeUnit.MILLISECONDS.toNanos(NUDGE_MILLIS)) {
      LOG.debug("heap guard on and no collection for {} ms: asking for one", NUDGE_MILLIS);
      System.gc();
    }
  }

  void close() {
    nudger.shutdownNow();
    for (NotificationEmitter e : emitters) {
      try {
        e.removeNotificationListener(onCollection);
      } catch (ListenerNotFoundException ignored) {
        // never added
      }
    }
  }
}
