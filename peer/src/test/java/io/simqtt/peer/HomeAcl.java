package io.simqtt.peer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The rules of the tests in which client "sub" connects as other users on other nodes: alice may
 * read home/#, bob too but not home/secret/..., and carol may write home/#.
 */
final class HomeAcl {
  private HomeAcl() {}

  /** Writes the rules to a file in {@code dir}; returns the node settings that use it. */
  static String settings(Path dir) throws IOException {
    Path acl = Files.writeString(dir.resolve("acl"), """
        user alice
        topic read home/#
        user bob
        topic read home/#
        topic deny home/secret/#
        user carol
        topic write home/#
        """);
    return "mqtt.auth.acl-file = \"" + acl + "\"\n";
  }
}
