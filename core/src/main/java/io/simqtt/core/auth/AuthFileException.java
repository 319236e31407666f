package io.simqtt.core.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A password or ACL file that cannot be used: which file, which line, what is wrong. */
public final class AuthFileException extends IOException {
  private static final long serialVersionUID = 1L;

  public AuthFileException(Path file, int line, String problem) {
    super(file + (line > 0 ? " line " + line : "") + ": " + problem);
  }

  /** The file's lines (UTF-8), or this exception saying why they cannot be read. */
  static List<String> readLines(Path file) throws AuthFileException {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AuthFileException(file, 0, "cannot be read: " + e.getMessage());
    }
  }
}
