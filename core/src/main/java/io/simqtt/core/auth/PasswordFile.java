package io.simqtt.core.auth;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Users and their password hashes from a file in Mosquitto's format, one {@code user:hash} per
 * line ({@link PasswordHash}); empty lines and lines starting with {@code #} are skipped. A
 * client that names a user must give that user's password; one that names none is not this
 * authenticator's to judge.
 */
public final class PasswordFile implements Authenticator {
  private final Map<String, PasswordHash> users;
  /**
   * Checked for unknown users, so a refusal takes as long whether the user exists or not and
   * the time to answer does not tell which user names are real.
   */
  private final PasswordHash decoy;

  private PasswordFile(Map<String, PasswordHash> users) {
    this.users = Map.copyOf(users);
    int iterations = users.isEmpty()
        ? PasswordHash.DEFAULT_ITERATIONS
        : users.values().iterator().next().iterations();
    this.decoy = PasswordHash.create(new byte[] {0}, Math.max(1, iterations));
  }

  /** Reads and checks the whole file; nothing of a broken file is used. */
  public static PasswordFile load(Path file) throws AuthFileException {
    List<String> lines = AuthFileException.readLines(file);
    Map<String, PasswordHash> users = new HashMap<>();
    Map<String, Integer> firstLine = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new AuthFileException(file, number, "expected user:hash");
      }
      String user = line.substring(0, colon);
      Integer earlier = firstLine.putIfAbsent(user, number);
      if (earlier != null) {
        throw new AuthFileException(file, number,
            "user " + user + " is already on line " + earlier);
      }
      try {
        users.put(user, PasswordHash.parse(line.substring(colon + 1)));
      } catch (IllegalArgumentException e) {
        throw new AuthFileException(file, number, "user " + user + ": " + e.getMessage());
      }
    }
    return new PasswordFile(users);
  }

  public int size() {
    return users.size();
  }

  @Override
  public String name() {
    return "password-file";
  }

  @Override
  public AuthDecision authenticate(ConnectAttempt attempt) {
    if (attempt.userName() == null) {
      return AuthDecision.notMine();
    }
    PasswordHash known = users.get(attempt.userName());
    byte[] password = attempt.password() == null ? new byte[0] : attempt.password();
    boolean matches = (known == null ? decoy : known).matches(password);
    if (known == null) {
      return AuthDecision.badCredentials("unknown user " + attempt.userName());
    }
    if (attempt.password() == null) {
      return AuthDecision.badCredentials("no password for user " + attempt.userName());
    }
    return matches
        ? AuthDecision.allow()
        : AuthDecision.badCredentials("wrong password for user " + attempt.userName());
  }
}
