package io.simqtt.peer;

/**
 * The node's command line. Only {@code --config} carries a value; the settings loader reads it
 * again from the same array, so this class only has to reject what nobody understands.
 */
record Arguments(boolean help, boolean version) {

  static final String USAGE = """
      usage: start-node.sh [--config FILE] [--help] [--version]

        --config FILE   HOCON settings over the defaults (else $SI_CFG_PATH, else defaults only)
        --help          print this text
        --version       print the version

      Any setting can also come from the environment, SIMQTT_ + the key with "__" for "." and
      "_" for "-" (SIMQTT_MQTT__LISTENERS__TCP__PORT=1884), or from -Dmqtt.listeners.tcp.port=1884 in JAVA_OPTS.
      Every key, its default and range: reference.conf in the simqtt-config jar.""";

  /** Thrown for an argument nobody understands; the message is one line. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  static Arguments parse(String[] args) {
    boolean help = false;
    boolean version = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> help = true;
        case "--version", "-V" -> version = true;
        case "--config" -> i++; // its value, checked by the settings loader
        default -> {
          if (!arg.startsWith("--config=")) {
            throw new UsageException("unknown argument " + arg + " (try --help)");
          }
        }
      }
    }
    return new Arguments(help, version);
  }
}
