package io.simqtt.store;

import io.simqtt.config.StorageSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.rocksdb.AbstractNativeReference;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactionStyle;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's RocksDB store in its data directory: one column family per kind of entry ({@link
 * Family}), a format version in {@link Family#META}, and one writer thread that commits every
 * change in groups ({@link GroupCommitWriter}). Opening refuses a store written by a newer
 * format version, and reports a damaged or partial one with its path; nothing found is ever
 * discarded. Compaction is RocksDB's own, in the background (level style, two background jobs).
 */
public final class DurableStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);
  /**
   * The layout of keys and values this code writes and reads; see {@link Keys}. 2: a session
   * record keeps its client's identity (for its permissions after a restart). 3: wills that went
   * out are kept until their copies are durable ({@link Family#DUE_WILLS}). 4: a session arriving
   * from another node is marked while its queued entries are written ({@link Family#IMPORTS}).
   * 5: the mark's key holds the import's first seq (an import may begin above a session of its
   * client that the node holds, or above another import of it still active); a mark of version 4
   * is the client id alone and means {@code SessionImport.FIRST_SEQ}. 6: a stored session that
   * moved to another node leaves its redirect in its place ({@link Family#REDIRECTS}). An older
   * store opens (its sessions without an identity, no wills or redirects kept) and is marked
   * current as it opens, so an older si-mqtt refuses it from then on rather than ignore what it
   * cannot read.
   */
  static final int FORMAT_VERSION = 6;

  static final byte[] FORMAT_VERSION_KEY = "format-version".getBytes(StandardCharsets.UTF_8);
  private static final long MEMTABLE_BYTES = 8 << 20;
  private static final long MAX_WAL_BYTES = 256 << 20;
  private static final long READ_ERROR_LOG_GAP_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final StorageSettings settings;
  private final Path dataDir;
  private final RocksDB db;
  /** Options, cache and filter the database uses: closed after it, in reverse order. */
  private final List<AbstractNativeReference> resources;
  private final List<ColumnFamilyHandle> handles;
  private final Map<Family, ColumnFamilyHandle> families;
  private final GroupCommitWriter writer;
  /**
   * Reads sessions ask for off their event loops (pages of queues on disk): one thread, at most
   * one read waiting per session.
   */
  private final ExecutorService reader =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "simqtt-store-reader");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong readErrors = new AtomicLong();
  private volatile long lastReadErrorLogNanos;
  private boolean closed;

  private DurableStore(
      StorageSettings settings,
      RocksDB db,
      List<AbstractNativeReference> resources,
      List<ColumnFamilyHandle> handles,
      Map<Family, ColumnFamilyHandle> families) {
    this.settings = settings;
    this.dataDir = settings.dataDir();
    this.db = db;
    this.resources = resources;
    this.handles = handles;
    this.families = families;
    this.writer =
        new GroupCommitWriter(
            db,
            families,
            dataDir,
            settings.sync() == StorageSettings.Sync.ALWAYS
                ? 0
                : settings.syncInterval().toNanos(),
            settings.maxPendingWrites(),
            settings.maxPendingBytes());
  }

  /**
   * Opens the store in {@code settings.dataDir()}, creating it if the directory holds none.
   *
   * @throws StoreException when the directory cannot be used, the store is damaged or partial,
   *     or it was written by a newer format version
   */
  public static DurableStore open(StorageSettings settings) {
    Path dir = settings.dataDir();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StoreException(dir, "cannot be created: " + e, e);
    }
    refusePartial(dir);
    try {
      RocksDB.loadLibrary();
    } catch (UnsatisfiedLinkError e) {
      throw new StoreException(dir, "cannot be opened: RocksDB's native library does not load"
          + " on this platform (" + e.getMessage() + "); the build carries the Linux x86-64 one"
          + " (rocksdbjni, classifier linux64)", e);
    }
    LRUCache cache = new LRUCache(settings.cacheSize());
    BloomFilter filter = new BloomFilter(10);
    DBOptions dbOptions =
        new DBOptions()
            .setCreateIfMissing(true)
            .setCreateMissingColumnFamilies(true)
            .setParanoidChecks(true)
            .setMaxBackgroundJobs(2)
            .setMaxTotalWalSize(MAX_WAL_BYTES)
            .setKeepLogFileNum(3)
            .setMaxLogFileSize(8 << 20);
    ColumnFamilyOptions familyOptions =
        new ColumnFamilyOptions()
            .setCompactionStyle(CompactionStyle.LEVEL)
            .setLevelCompactionDynamicLevelBytes(true)
            .setWriteBufferSize(MEMTABLE_BYTES)
            .setTableFormatConfig(
                new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setFilterPolicy(filter));
    List<AbstractNativeReference> resources = List.of(cache, filter, dbOptions, familyOptions);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    RocksDB db;
    try {
      for (byte[] name : familyNames(dir)) {
        descriptors.add(new ColumnFamilyDescriptor(name, familyOptions));
      }
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException e) {
      closeAll(resources);
      throw unusable(dir, "cannot be opened", e);
    }
    Map<Family, ColumnFamilyHandle> families = new EnumMap<>(Family.class);
    for (int i = 0; i < descriptors.size(); i++) {
      for (Family f : Family.values()) {
        if (Arrays.equals(descriptors.get(i).getName(), f.columnFamilyName())) {
          families.put(f, handles.get(i));
        }
      }
    }
    try {
      checkFormatVersion(dir, db, families);
    } catch (RuntimeException e) {
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      closeAll(resources);
      throw e;
    }
    DurableStore store =
        new DurableStore(settings, db, resources, handles, families);
    LOG.info("store in {} open (format version {}, sync {})", dir, FORMAT_VERSION,
        settings.sync() == StorageSettings.Sync.ALWAYS
            ? "always"
            : "every " + settings.syncInterval().toMillis() + "ms");
    return store;
  }

  /**
   * RocksDB would start a new, empty store in a directory whose CURRENT file is gone and take
   * the old files for leftovers: that is a partial store, refused.
   */
  private static void refusePartial(Path dir) {
    if (Files.exists(dir.resolve("CURRENT"))) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<String> found =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("MANIFEST-") || n.endsWith(".sst") || n.endsWith(".log"))
              .sorted()
              .toList();
      if (!found.isEmpty()) {
        throw new StoreException(dir, "is partial: its CURRENT file is missing but "
            + String.join(", ", found.subList(0, Math.min(3, found.size())))
            + (found.size() > 3 ? " and " + (found.size() - 3) + " more" : "")
            + " are there; left as it is (restore it, or move it away to start empty)");
      }
    } catch (IOException e) {
      throw new StoreException(dir, "cannot be listed: " + e, e);
    }
  }

  /** The families to open: the default one, ours, and any a newer version added. */
  private static List<byte[]> familyNames(Path dir) throws RocksDBException {
    List<byte[]> names = new ArrayList<>();
    names.add(RocksDB.DEFAULT_COLUMN_FAMILY);
    for (Family f : Family.values()) {
      names.add(f.columnFamilyName());
    }
    if (Files.exists(dir.resolve("CURRENT"))) {
      try (Options options = new Options()) {
        for (byte[] existing : RocksDB.listColumnFamilies(options, dir.toString())) {
          if (names.stream().noneMatch(n -> Arrays.equals(n, existing))) {
            names.add(existing);
          }
        }
      }
    }
    return names;
  }

  private static void checkFormatVersion(
      Path dir, RocksDB db, Map<Family, ColumnFamilyHandle> families) {
    ColumnFamilyHandle meta = families.get(Family.META);
    try {
      byte[] version = db.get(meta, FORMAT_VERSION_KEY);
      if (version == null) {
        for (Family f : Family.values()) {
          if (f != Family.META && !isEmpty(db, families.get(f))) {
            throw new StoreException(dir, "is damaged: it holds " + f.name().toLowerCase()
                + " entries but no format version; left as it is");
          }
        }
        try (org.rocksdb.WriteOptions sync = new org.rocksdb.WriteOptions().setSync(true)) {
          db.put(meta, sync, FORMAT_VERSION_KEY, ByteBuffer.allocate(4)
              .putInt(FORMAT_VERSION).array());
        }
        return;
      }
      if (version.length != 4) {
        throw new StoreException(dir, "is damaged: its format version is "
            + version.length + " bytes long, not 4; left as it is");
      }
      int found = ByteBuffer.wrap(version).getInt();
      if (found > FORMAT_VERSION) {
        throw new StoreException(dir, "was written in format version " + found
            + ", newer than this si-mqtt reads (" + FORMAT_VERSION + "): start the version"
            + " that wrote it, or move the directory away to start empty; left as it is");
      }
      if (found < FORMAT_VERSION) {
        try (org.rocksdb.WriteOptions sync = new org.rocksdb.WriteOptions().setSync(true)) {
          db.put(meta, sync, FORMAT_VERSION_KEY, ByteBuffer.allocate(4)
              .putInt(FORMAT_VERSION).array());
        }
        LOG.info("store in {}: format version {} read and marked {} (sessions kept without"
            + " their client's identity, as version 1 kept them, are resolved as anonymous"
            + " clients of their id)",
            dir, found, FORMAT_VERSION);
      }
    } catch (RocksDBException e) {
      throw unusable(dir, "cannot be read", e);
    }
  }

  private static boolean isEmpty(RocksDB db, ColumnFamilyHandle family)
      throws RocksDBException {
    try (RocksIterator it = db.newIterator(family)) {
      it.seekToFirst();
      boolean empty = !it.isValid();
      it.status();
      return empty;
    }
  }

  /** RocksDB's error, with the directory and what it means for the operator. */
  static StoreException unusable(Path dir, String what, RocksDBException e) {
    Status status = e.getStatus();
    Status.Code code = status == null ? null : status.getCode();
    String problem;
    if (code == Status.Code.Corruption) {
      problem = "is damaged (" + e.getMessage() + "); left as it is: restore it from a backup,"
          + " or move it away to start empty";
    } else if (code == Status.Code.IOError && String.valueOf(e.getMessage()).contains("lock")) {
      problem = what + ": it is in use (" + e.getMessage() + "); one node per data directory";
    } else {
      problem = what + ": " + e.getMessage();
    }
    return new StoreException(dir, problem, e);
  }

  /**
   * Visits every entry of {@code family} in key order.
   *
   * @throws StoreException when an entry cannot be read (a damaged file)
   */
  void forEach(Family family, EntryVisitor visitor) {
    try (ReadOptions options = new ReadOptions().setFillCache(false);
        RocksIterator it = db.newIterator(families.get(family), options)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (!Keys.wellFormed(family, key)) {
          throw new StoreException(dataDir, "is damaged: a key of "
              + family.name().toLowerCase() + " has a length that fits no entry");
        }
        visitor.visit(key, it.value());
      }
      it.status();
    } catch (RocksDBException e) {
      throw unusable(dataDir, "cannot be read", e);
    }
  }

  /**
   * Visits the entries of {@code family} from {@code from} (included) to {@code end} (excluded)
   * in key order, while {@code visitor} answers true; nothing once the store is closed.
   *
   * @throws StoreException when an entry cannot be read (a damaged file)
   */
  synchronized void forRange(Family family, byte[] from, byte[] end, RangeVisitor visitor) {
    if (closed) {
      return;
    }
    try (ReadOptions options = new ReadOptions();
        RocksIterator it = db.newIterator(families.get(family), options)) {
      for (it.seek(from); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (Arrays.compareUnsigned(key, end) >= 0) {
          break;
        }
        if (!Keys.wellFormed(family, key)) {
          throw new StoreException(dataDir, "is damaged: a key of "
              + family.name().toLowerCase() + " has a length that fits no entry");
        }
        if (!visitor.visit(key, it.value())) {
          break;
        }
      }
      it.status();
    } catch (RocksDBException e) {
      throw unusable(dataDir, "cannot be read", e);
    }
  }

  /** One entry as {@link #forRange} gives it; answers whether to go on. */
  @FunctionalInterface
  interface RangeVisitor {
    boolean visit(byte[] key, byte[] value);
  }

  /** The thread that reads for sessions, off their event loops. */
  Executor reader() {
    return reader;
  }

  /**
   * A read for a session failed, which its caller tries again: counted, and logged at most every
   * 10 s (a disk that keeps failing would fill the log).
   */
  void readFailed(String what, RuntimeException e) {
    long n = readErrors.incrementAndGet();
    long now = System.nanoTime();
    if (n == 1 || now - lastReadErrorLogNanos >= READ_ERROR_LOG_GAP_NANOS) {
      lastReadErrorLogNanos = now;
      LOG.error("store in {}: {} failed ({} read failures so far), tried again later: {}",
          dataDir, what, n, e.toString());
    }
  }

  /** One entry as {@link #forEach} gives it. */
  @FunctionalInterface
  interface EntryVisitor {
    void visit(byte[] key, byte[] value);
  }

  GroupCommitWriter writer() {
    return writer;
  }

  /**
   * Tests only: a copy of the database in {@code to} (a directory not there yet) as it is now,
   * with what is queued and not written left out: what a kill -9 at this moment leaves. Called on
   * the writer thread between batches ({@link GroupCommitWriter#afterEachBatch}), it is what a
   * kill right after that batch leaves.
   */
  void checkpoint(Path to) {
    try (Checkpoint c = Checkpoint.create(db)) {
      c.createCheckpoint(to.toString());
    } catch (RocksDBException e) {
      throw new StoreException(dataDir, "could not be copied to " + to, e);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  public StorageSettings settings() {
    return settings;
  }

  /** Bytes of every file in the data directory (tables, write-ahead log, manifest, logs). */
  public long diskBytes() {
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(Files::isRegularFile).mapToLong(DurableStore::sizeOrZero).sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return 0; // a file vanished as it was listed (compaction): read again next time
    }
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Writes queued for the disk. */
  public int pendingWrites() {
    return writer.pendingWrites();
  }

  public long pendingBytes() {
    return writer.pendingBytes();
  }

  /** Times a writing thread found the queue at its bound and waited. */
  public long writeStalls() {
    return writer.stalls();
  }

  public long writeStallNanos() {
    return writer.stallNanos();
  }

  /**
   * Batches that waited for the release of a held write (a copy of a QoS 2 message waiting for
   * its publisher's id, of a peer's forward waiting for the record that it was seen, of an entry
   * passed on waiting for the source's deletion), and the time they waited.
   */
  public long holdWaits() {
    return writer.holdWaits();
  }

  public long holdWaitNanos() {
    return writer.holdWaitNanos();
  }

  /** Writes kept back for holds still open, as the writer last sorted them. */
  public int waitingWrites() {
    return writer.waitingWrites();
  }

  /** Holds cut: written before their release came, their unit's atomicity given up. */
  public long holdsCut() {
    return writer.holdsCut();
  }

  public long holdsCut(HoldCut why) {
    return writer.holdsCut(why);
  }

  /** Group commits: batches written. */
  public long commitBatches() {
    return writer.batches();
  }

  /** Entries written in all batches. */
  public long committedWrites() {
    return writer.batchedWrites();
  }

  /** Disk syncs (fsync of the write-ahead log) and the time they took in all. */
  public long syncs() {
    return writer.syncs();
  }

  public long syncNanos() {
    return writer.syncNanos();
  }

  /** Reads for sessions that failed (each tried again). */
  public long readErrors() {
    return readErrors.get();
  }

  /** Writes and syncs the disk refused (each retried). */
  public long writeErrors() {
    return writer.writeErrors();
  }

  /** Writes and actions refused: they came after the store began to close or its writer failed. */
  public long writesRefused() {
    return writer.refused();
  }

  /**
   * What stopped the store's writer for good (an unexpected error, see {@link
   * GroupCommitWriter}), or null while it works: nothing is written or acknowledged as durable
   * any more, and the node needs a restart.
   */
  public Throwable failure() {
    return writer.failure();
  }

  /**
   * Whether RocksDB holds writes back (1: stopped; it does while compaction is far behind), or
   * slows them: its delayed write rate in bytes per second, 0 when not slowed.
   */
  public boolean rocksWritesStopped() {
    return longProperty("rocksdb.is-write-stopped") != 0;
  }

  public long rocksDelayedWriteRate() {
    return longProperty("rocksdb.actual-delayed-write-rate");
  }

  private synchronized long longProperty(String name) {
    if (closed) {
      return 0;
    }
    try {
      return db.getLongProperty(name);
    } catch (RocksDBException e) {
      return 0;
    }
  }

  /** Writes everything queued, then closes the database. Call after the broker closed. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    writer.close();
    reader.shutdownNow();
    closed = true;
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    closeAll(resources);
    LOG.info("store in {} closed", dataDir);
  }

  private static void closeAll(List<AbstractNativeReference> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }
}
