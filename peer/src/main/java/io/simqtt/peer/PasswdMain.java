package io.simqtt.peer;

import io.simqtt.core.auth.AuthFileException;
import io.simqtt.core.auth.PasswordFile;
import io.simqtt.core.auth.PasswordHash;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code bin/passwd.sh}: adds, changes and deletes users of a password file in Mosquitto's format
 * (the file mosquitto_passwd writes and {@code mqtt.auth.password-file} reads). The password is
 * asked twice on the terminal, or read as one line from standard input when there is none; it is
 * never taken from the command line, where other users of the machine could read it. Exit 0 on
 * success, 1 when the file cannot be used, 2 for bad usage.
 */
@Command(
    name = "passwd.sh",
    mixinStandardHelpOptions = true,
    description = "Adds, changes or deletes a user of a si-mqtt (Mosquitto format) password file.")
public final class PasswdMain implements Callable<Integer> {
  private static final String NAME = "si-mqtt-passwd";

  @Option(names = "-c", description = "Create the file (replacing an existing one).")
  boolean create;

  @Option(names = "-D", description = "Delete the user instead of setting a password.")
  boolean delete;

  @Option(names = "--iterations", paramLabel = "N",
      description = "PBKDF2 iterations for the new hash (default: ${DEFAULT-VALUE}, as"
          + " mosquitto_passwd; more costs more per CONNECT).")
  int iterations = PasswordHash.DEFAULT_ITERATIONS;

  @Parameters(index = "0", paramLabel = "FILE")
  Path file;

  @Parameters(index = "1", paramLabel = "USER")
  String user;

  private final BufferedReader stdin;
  private final Console console;
  private final PrintWriter err;

  PasswdMain(BufferedReader stdin, Console console, PrintWriter err) {
    this.stdin = stdin;
    this.console = console;
    this.err = err;
  }

  public static void main(String[] args) {
    PrintWriter err = new PrintWriter(System.err, true);
    BufferedReader stdin =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.exit(run(args, stdin, System.console(), err));
  }

  static int run(String[] args, BufferedReader stdin, Console console, PrintWriter err) {
    return new CommandLine(new PasswdMain(stdin, console, err)).setErr(err).execute(args);
  }

  @Override
  public Integer call() throws IOException {
    if (user.isEmpty() || user.indexOf(':') >= 0) {
      return usage("a user name must not be empty or contain ':'");
    }
    if (create && delete) {
      return usage("-c and -D do not go together");
    }
    if (iterations < 1 || iterations > 10_000_000) {
      return usage("--iterations must be 1..10000000");
    }
    List<String> lines = new ArrayList<>();
    if (!create) {
      if (!Files.isRegularFile(file)) {
        return failed(file + " does not exist (use -c to create it)");
      }
      try {
        PasswordFile.load(file); // never rewrite a file this tool could not read back
      } catch (AuthFileException e) {
        return failed(e.getMessage());
      }
      lines.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
    }
    int at = indexOf(lines, user);
    if (delete) {
      if (at < 0) {
        return failed("no user " + user + " in " + file);
      }
      lines.remove(at);
    } else {
      byte[] password = readPassword();
      if (password == null) {
        return 1;
      }
      String line = user + ":" + PasswordHash.create(password, iterations).format();
      Arrays.fill(password, (byte) 0);
      if (at < 0) {
        lines.add(line);
      } else {
        lines.set(at, line);
      }
    }
    write(lines);
    return 0;
  }

  private static int indexOf(List<String> lines, String user) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(user + ":")) {
        return i;
      }
    }
    return -1;
  }

  /** Null (after saying why) when no usable password came. */
  private byte[] readPassword() throws IOException {
    String password;
    if (console != null) {
      char[] first = console.readPassword("Password: ");
      char[] second = console.readPassword("Reenter password: ");
      if (first == null || second == null || !Arrays.equals(first, second)) {
        failed("the passwords do not match");
        return null;
      }
      password = new String(first);
      Arrays.fill(first, '\0');
      Arrays.fill(second, '\0');
    } else {
      password = stdin.readLine();
      if (password == null) {
        failed("no password on standard input");
        return null;
      }
    }
    if (password.isEmpty()) {
      failed("an empty password is not allowed");
      return null;
    }
    return password.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Through a file beside it and a rename, so the broker (which may re-read the file at any time)
   * sees the old file or the new one, never half of one. A new file is readable by its owner
   * only; an existing one keeps its permissions.
   */
  private void write(List<String> lines) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Set<PosixFilePermission> mode = Files.exists(file)
        ? Files.getPosixFilePermissions(file)
        : PosixFilePermissions.fromString("rw-------");
    Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.write(temp, lines, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(temp, mode);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private int usage(String problem) {
    err.println(NAME + ": " + problem);
    return 2;
  }

  private int failed(String problem) {
    err.println(NAME + ": " + problem);
    return 1;
  }
}
