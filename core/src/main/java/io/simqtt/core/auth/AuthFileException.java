package io.simqtt.core.auth;

import java.io.IOException;
import java.nio.file.Path;

/** A password or ACL file that cannot be used: which file, which line, what is wrong. */
public final class AuthFileException extends IOException {
  private static final long serialVersionUID = 1L;

  public AuthFileException(Path file, int line, String problem) {
    super(file + (line > 0 ? " line " + line : "") + ": " + problem);
  }
}
