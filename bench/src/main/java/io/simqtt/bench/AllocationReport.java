package io.simqtt.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a broker allocated per message, from a JFR recording of it under a steady rate (the p2p
 * scenario of {@code bin/bench-alloc.sh}): the bytes from the heap itself, and where they went.
 *
 * <p>Bytes: over the young collections that start {@code skip} seconds after the first one (the
 * connects and the load's warm-up before), the sum of heap used before collection i minus heap
 * used after collection i-1 ({@code jdk.GCHeapSummary}), divided by the rate times the seconds
 * from the first to the last of them. Where: the {@code jdk.ObjectAllocationSample} weights in
 * that window, summed by class and by class and first four frames.
 *
 * <pre>java -cp ... io.simqtt.bench.AllocationReport rec.jfr RATE [SKIP_SECONDS] [ROWS]</pre>
 */
public final class AllocationReport {
  private AllocationReport() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: AllocationReport RECORDING.jfr RATE [SKIP_SECONDS] [ROWS]");
      System.exit(2);
    }
    Path recording = Path.of(args[0]);
    double rate = Double.parseDouble(args[1]);
    double skip = args.length > 2 ? Double.parseDouble(args[2]) : 8;
    int rows = args.length > 3 ? Integer.parseInt(args[3]) : 25;

    Map<Integer, long[]> heapUsed = new TreeMap<>(); // gc id -> {before, after}
    Map<Integer, Instant> startOf = new HashMap<>();
    List<RecordedEvent> samples = new ArrayList<>();
    try (RecordingFile f = new RecordingFile(recording)) {
      while (f.hasMoreEvents()) {
        RecordedEvent e = f.readEvent();
        String type = e.getEventType().getName();
        if (type.equals("jdk.GCHeapSummary")) {
          long[] used = heapUsed.computeIfAbsent(e.getInt("gcId"), id -> new long[] {-1, -1});
          boolean before = e.getString("when").equals("Before GC");
          used[before ? 0 : 1] = e.getLong("heapUsed");
          if (before) {
            startOf.put(e.getInt("gcId"), e.getStartTime());
          }
        } else if (type.equals("jdk.ObjectAllocationSample")) {
          samples.add(e);
        }
      }
    }
    List<Integer> gcs = new ArrayList<>();
    heapUsed.forEach((id, used) -> {
      if (used[0] >= 0 && used[1] >= 0) {
        gcs.add(id);
      }
    });
    if (gcs.isEmpty()) {
      System.err.println("no young collection in " + recording);
      System.exit(1);
    }
    Instant first = startOf.get(gcs.get(0)).plusMillis((long) (skip * 1000));
    List<Integer> window = gcs.stream().filter(id -> !startOf.get(id).isBefore(first)).toList();
    if (window.size() < 2) {
      System.err.println("fewer than two young collections after the first " + skip + " s");
      System.exit(1);
    }
    long bytes = 0;
    for (int i = 1; i < window.size(); i++) {
      bytes += heapUsed.get(window.get(i))[0] - heapUsed.get(window.get(i - 1))[1];
    }
    Instant from = startOf.get(window.get(0));
    Instant to = startOf.get(window.get(window.size() - 1));
    double seconds = Duration.between(from, to).toNanos() / 1e9;
    System.out.printf(
        "%d young collections over %.1f s: %.1f MB allocated, %.0f bytes per message"
            + " at %.0f msg/s%n",
        window.size(), seconds, bytes / 1e6, bytes / (rate * seconds), rate);

    Map<String, Long> byClass = new HashMap<>();
    Map<String, Long> bySite = new HashMap<>();
    long total = 0;
    for (RecordedEvent e : samples) {
      if (e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
        continue;
      }
      long w = e.getLong("weight");
      total += w;
      String cls = e.getClass("objectClass").getName();
      byClass.merge(cls, w, Long::sum);
      bySite.merge(cls + " @ " + site(e), w, Long::sum);
    }
    System.out.printf("%nallocation samples in that window: %.1f MB%n", total / 1e6);
    print(byClass, total, rows);
    System.out.println();
    print(bySite, total, rows);
  }

  private static String site(RecordedEvent e) {
    if (e.getStackTrace() == null) {
      return "?";
    }
    List<String> frames = new ArrayList<>(4);
    for (RecordedFrame f : e.getStackTrace().getFrames()) {
      String type = f.getMethod().getType().getName();
      frames.add(type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName());
      if (frames.size() == 4) {
        break;
      }
    }
    return String.join(" < ", frames);
  }

  private static void print(Map<String, Long> weights, long total, int rows) {
    weights.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(rows)
        .forEach(
            en -> System.out.printf("%5.1f%%  %s%n", 100.0 * en.getValue() / total, en.getKey()));
  }
}
