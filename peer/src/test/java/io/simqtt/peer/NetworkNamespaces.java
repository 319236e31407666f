package io.simqtt.peer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small network of Linux network namespaces for one test: a hub namespace holding a bridge (the
 * switch), and member namespaces, each joined to the bridge by a veth pair and given one address
 * on it. The root namespace's network is not touched: every interface, address and rule lives in
 * namespaces made here, and they go away in {@link #close} (or, if the JVM exits first, in a
 * shutdown hook of the caller's).
 *
 * <p>Addresses are in 127.0.0.0/8 ({@link #SUBNET}), as the project allows no network but
 * loopback in tests: each member namespace keeps only 127.0.0.1/32 on its {@code lo} (instead of
 * the whole /8, which would make every 127.x address local) and sets {@code route_localnet} so
 * the kernel routes and answers ARP for 127.x on its veth. Nothing outside these namespaces can
 * send to or receive from those addresses.
 *
 * <p>Names are {@code simqtt-<pid>-<n>-<member>}: unique per test JVM and per network. A
 * namespace left by an earlier test JVM that died without cleaning up (its pid no longer runs)
 * is deleted when a new network is made.
 */
final class NetworkNamespaces implements AutoCloseable {
  /** Member addresses are this plus a number, 1..254. */
  static final String SUBNET = "127.77.0.";

  private static final String PREFIX = "simqtt-";
  private static final Pattern OURS = Pattern.compile("^" + PREFIX + "(\\d+)-\\d+-\\S+");
  private static final AtomicInteger NETWORKS = new AtomicInteger();
  private static final long COMMAND_SECONDS = 30;

  private final String base;
  private final String hub;
  private final List<String> members = new ArrayList<>();
  private boolean closed;

  private NetworkNamespaces(String base) {
    this.base = base;
    this.hub = base + "hub";
  }

  /**
   * Makes the hub namespace and its bridge. Fails, naming what is missing, when this machine
   * cannot (not root, no {@code ip netns}): these tests need it and CI has it, so they must not
   * quietly skip.
   */
  static NetworkNamespaces create() {
    requireTools();
    removeStale();
    NetworkNamespaces n = new NetworkNamespaces(
        PREFIX + ProcessHandle.current().pid() + "-" + NETWORKS.incrementAndGet() + "-");
    try {
      n.add(n.hub);
      n.in(n.hub, "ip", "link", "add", "br0", "type", "bridge");
      n.in(n.hub, "ip", "link", "set", "br0", "up");
    } catch (RuntimeException e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * Adds member namespace {@code name} joined to the bridge, with address {@link #SUBNET}{@code
   * host}; returns the namespace's full name, for {@link #in} and {@link #launcher}.
   */
  String addMember(String name, int host) {
    String ns = base + name;
    add(ns);
    String hubSide = "p-" + name;
    run(List.of("ip", "link", "add", "veth0", "netns", ns, "type", "veth", "peer", "name",
        hubSide, "netns", hub));
    in(hub, "ip", "link", "set", hubSide, "master", "br0", "up");
    // Only 127.0.0.1 stays local: the rest of 127/8 is routed on the veth like any subnet.
    in(ns, "ip", "addr", "del", "127.0.0.1/8", "dev", "lo");
    in(ns, "ip", "addr", "add", "127.0.0.1/32", "dev", "lo");
    in(ns, "sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1");
    in(ns, "sysctl", "-qw", "net.ipv4.conf.veth0.route_localnet=1");
    in(ns, "ip", "addr", "add", SUBNET + host + "/24", "dev", "veth0");
    in(ns, "ip", "link", "set", "veth0", "up");
    return ns;
  }

  /** The command prefix that runs a command inside namespace {@code ns}. */
  static List<String> launcher(String ns) {
    return List.of("ip", "netns", "exec", ns);
  }

  /** Runs a command inside namespace {@code ns}; fails with its output unless it exits 0. */
  String in(String ns, String... command) {
    return inWithInput(ns, null, command);
  }

  /** {@link #in} with {@code input} on the command's standard input. */
  String inWithInput(String ns, String input, String... command) {
    List<String> full = new ArrayList<>(launcher(ns));
    full.addAll(List.of(command));
    return run(full, input);
  }

  /** Deletes every namespace of this network; processes still inside lose their network. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> all = new ArrayList<>(members);
    for (String ns : all) {
      delete(ns);
    }
  }

  private synchronized void add(String ns) {
    run(List.of("ip", "netns", "add", ns));
    members.add(ns);
    in(ns, "ip", "link", "set", "lo", "up");
  }

  private static void delete(String ns) {
    try {
      run(List.of("ip", "netns", "del", ns));
    } catch (RuntimeException e) {
      System.err.println("NetworkNamespaces: " + e.getMessage());
    }
  }

  private static void requireTools() {
    String missing;
    try {
      String uid = run(List.of("id", "-u")).trim();
      missing = uid.equals("0") ? null : "root (running as uid " + uid + ")";
      if (missing == null) {
        run(List.of("ip", "netns", "list"));
        run(List.of("iptables-restore", "--version"));
        run(List.of("python3", "--version"));
      }
    } catch (RuntimeException e) {
      missing = e.getMessage();
    }
    if (missing != null) {
      throw new IllegalStateException("These tests cut links between cluster nodes in network "
          + "namespaces: they need root, iproute2 (ip netns), iptables and python3. Missing: "
          + missing + ". CI runs .ci/run as root, which installs iptables and python3.");
    }
  }

  /** Deletes our namespaces whose test JVM is gone. */
  private static void removeStale() {
    for (String line : run(List.of("ip", "netns", "list")).split("\n")) {
      Matcher m = OURS.matcher(line.trim());
      if (m.find() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
        String ns = line.trim().split("\\s+")[0];
        System.err.println("NetworkNamespaces: removing " + ns + ", left by a test JVM that died");
        delete(ns);
      }
    }
  }

  static String run(List<String> command) {
    return run(command, null);
  }

  private static String run(List<String> command, String input) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (input != null) {
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      // The output of these commands is a few lines: it fits the pipe until they exit.
      if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + ": no exit in "
            + COMMAND_SECONDS + " s");
      }
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed (exit "
            + p.exitValue() + "): " + text.trim());
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(String.join(" ", command) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
    }
  }
}
