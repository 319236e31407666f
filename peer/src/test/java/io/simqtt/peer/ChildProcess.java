package io.simqtt.peer;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A child process whose output lines are collected as they come, for tests. */
final class ChildProcess implements AutoCloseable {

  private final Process process;
  private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
  private final List<String> stdoutSeen = new ArrayList<>();
  private final StringBuffer stderr = new StringBuffer();
  private final List<Thread> pumps = new ArrayList<>();

  private ChildProcess(Process process) {
    this.process = process;
    pumps.add(pump(process.getInputStream(), stdout::add));
    pumps.add(pump(process.getErrorStream(), line -> stderr.append(line).append('\n')));
  }

  /** java with this test JVM's classpath, so it runs the classes under test. */
  static ChildProcess java(Map<String, String> env, String mainClass, String... args)
      throws IOException {
    return java(List.of(), env, mainClass, args);
  }

  /** {@link #java(Map, String, String...)} with JVM options (heap size and the like) first. */
  static ChildProcess java(
      List<String> jvmOptions, Map<String, String> env, String mainClass, String... args)
      throws IOException {
    return start(javaCommand(jvmOptions, mainClass, args), env);
  }

  /**
   * The command line of {@link #java(List, Map, String, String...)}, for callers that run it
   * under another command (such as {@code ip netns exec}).
   */
  static List<String> javaCommand(List<String> jvmOptions, String mainClass, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    String logback = System.getProperty("logback.configurationFile");
    if (logback != null
        && jvmOptions.stream().noneMatch(o -> o.startsWith("-Dlogback.configurationFile="))) {
      command.add("-Dlogback.configurationFile=" + logback);
    }
    command.add("-cp");
    // Surefire may put a one-jar manifest classpath in java.class.path; both forms work for java.
    command.add(System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path")));
    command.add(mainClass);
    command.addAll(List.of(args));
    return command;
  }

  static ChildProcess start(List<String> command, Map<String, String> env) throws IOException {
    return start(command, env, ProcessBuilder.Redirect.from(new File("/dev/null")));
  }

  /**
   * {@link #start(List, Map)} with standard input a pipe from this JVM ({@link #sendLine}): the
   * child reads end-of-file when this JVM closes it or exits, however it exits, so a child that
   * stops on end-of-file never outlives the test.
   */
  static ChildProcess startWithInput(List<String> command) throws IOException {
    return start(command, Map.of(), ProcessBuilder.Redirect.PIPE);
  }

  private static ChildProcess start(
      List<String> command, Map<String, String> env, ProcessBuilder.Redirect stdin)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    // The developer's own SIMQTT_* settings must not leak into what the test asserts.
    builder.environment().keySet().removeIf(k -> k.startsWith("SIMQTT_") || k.equals("SI_CFG_PATH"));
    builder.environment().putAll(env);
    builder.redirectInput(stdin);
    return new ChildProcess(builder.start());
  }

  /** Writes a line to the child's standard input (only after {@link #startWithInput}). */
  void sendLine(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Waits for a stdout line matching the pattern; fails with all output on timeout. */
  Matcher awaitLine(Pattern pattern, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      String line = stdout.poll(100, TimeUnit.MILLISECONDS);
      if (line != null) {
        stdoutSeen.add(line);
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m;
        }
      }
    }
    throw new AssertionError("no line matching " + pattern + " within " + seconds + "s; stdout="
        + stdoutSeen + " stderr=" + stderr);
  }

  int awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("still running after " + seconds + "s; stderr=" + stderr);
    }
    for (Thread pump : pumps) {
      pump.join(TimeUnit.SECONDS.toMillis(5)); // let them read what the process wrote last
    }
    return process.exitValue();
  }

  /**
   * SIGTERM on Linux and macOS. Through the handle: {@code Process.destroy()} also closes our
   * ends of the pipes, so whatever the process logs while stopping would be lost.
   */
  void terminate() {
    process.toHandle().destroy();
  }

  /** The operating system's process id, e.g. for kill -STOP. */
  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Complete once {@link #awaitExit} returned. */
  String stderr() {
    return stderr.toString();
  }

  List<String> stdoutLines() {
    stdout.drainTo(stdoutSeen);
    return stdoutSeen;
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  private static Thread pump(InputStream in, Consumer<String> sink) {
    Thread t = new Thread(() -> {
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          sink.accept(line);
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }, "child-output");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
