package io.simqtt.core.auth;

import io.simqtt.config.AuthSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The configured chain ({@code mqtt.auth.chain}) made real: the built-in password and ACL files
 * read afresh on each {@link #read}, each in its place in the order. Plug-ins are not re-created:
 * the same objects take their places in every chain read.
 */
public final class AuthRules {
  private final boolean certificateUsers;
  private final AuthSettings settings;
  private final AuthPlugins plugins;

  /** What one {@link #read} built, with a line for the log. */
  public record Chain(
      List<Authenticator> authenticators, List<Authorizer> authorizers, String summary) {}

  /** {@code certificateUsers}: a client's certificate names its user (mqtt.tls). */
  public AuthRules(AuthSettings settings, AuthPlugins plugins, boolean certificateUsers) {
    this.certificateUsers = certificateUsers;
    this.settings = settings;
    this.plugins = plugins;
  }

  /** Whether there is a file to re-read. */
  public boolean hasFiles() {
    return !files().isEmpty();
  }

  /** The password and ACL files configured. */
  public List<Path> files() {
    return Stream.of(settings.passwordFile(), settings.aclFile())
        .filter(f -> f != null).toList();
  }

  /**
   * Reads every file of the chain; a file that cannot be read or has a broken line fails the
   * whole read, so nothing of it is used.
   */
  public Chain read() throws AuthFileException {
    List<Authenticator> authenticators = new ArrayList<>();
    List<Authorizer> authorizers = new ArrayList<>();
    List<String> parts = new ArrayList<>();
    if (certificateUsers) {
      // First: a valid certificate decides who the client is before any password is asked.
      authenticators.add(new CertificateAuthenticator());
      parts.add("user names from client certificates");
    }
    for (String name : settings.effectiveChain()) {
      switch (name) {
        case AuthSettings.PASSWORD_FILE -> {
          PasswordFile f = PasswordFile.load(settings.passwordFile());
          authenticators.add(f);
          parts.add(f.size() + " users from " + settings.passwordFile());
        }
        case AuthSettings.ACL_FILE -> {
          AclFile f = AclFile.load(settings.aclFile());
          authorizers.add(f);
          parts.add(f.ruleCount() + " rules from " + settings.aclFile());
        }
        default -> {
          plugins.authenticator(name).ifPresent(authenticators::add);
          plugins.authorizer(name).ifPresent(authorizers::add);
          parts.add("plug-in " + name);
        }
      }
    }
    return new Chain(authenticators, authorizers, String.join(", ", parts));
  }

  /**
   * A digest of the files' contents as they are now (a missing file counts as one state), to
   * tell a real change from a touch or a directory event about another file.
   */
  public byte[] fingerprint() {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    for (Path f : files()) {
      digest.update(f.toString().getBytes(StandardCharsets.UTF_8));
      try {
        digest.update((byte) 1);
        digest.update(Files.readAllBytes(f));
      } catch (NoSuchFileException e) {
        digest.update((byte) 0);
      } catch (IOException e) {
        digest.update((byte) 2);
        digest.update(String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8));
      }
    }
    return digest.digest();
  }
}
