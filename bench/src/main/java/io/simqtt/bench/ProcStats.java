package io.simqtt.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Another process's CPU time and resident memory, and this process's file descriptors, from
 * /proc (Linux only).
 */
final class ProcStats {
  private static volatile long clockTicks;

  private ProcStats() {}

  /** utime + stime of {@code pid} in microseconds, or -1 when unreadable. */
  static long cpuMicros(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      // the command name (field 2) may contain spaces; fields after the last ')' are fixed
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 utime, 15 stime
      return ticks * 1_000_000L / clockTicks();
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Asks the JVM {@code pid} for a full collection with {@code jcmd} and waits for it (at most 60
   * s); fails when jcmd is missing or refuses.
   */
  static void requestJvmGc(long pid) throws InterruptedException {
    try {
      Process p =
          new ProcessBuilder("jcmd", Long.toString(pid), "GC.run")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("jcmd " + pid + " GC.run did not finish in 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + pid + " GC.run exited with " + p.exitValue());
      }
    } catch (IOException e) {
      throw new IllegalStateException("--broker-gc needs jcmd on the PATH: " + e.getMessage());
    }
  }

  /** VmRSS of {@code pid} in bytes, or -1 when unreadable. */
  static long rssBytes(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.substring(6).trim().split(" +")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** This process's soft limit on open files, or -1 when unknown or unlimited. */
  static long openFileLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          String soft = line.substring("Max open files".length()).trim().split(" +")[0];
          return "unlimited".equals(soft) ? -1 : Long.parseLong(soft);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** The file descriptors this process has open now, or -1 when unreadable. */
  static long openFileCount() {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count() - 1; // the listing's own
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static long clockTicks() {
    long t = clockTicks;
    if (t == 0) {
      t = 100;
      try {
        Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (p.waitFor() == 0) {
          t = Long.parseLong(out);
        }
      } catch (IOException | RuntimeException e) {
        // keep 100, the Linux default
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      clockTicks = t;
    }
    return t;
  }
}
