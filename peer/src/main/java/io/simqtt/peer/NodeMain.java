package io.simqtt.peer;

import io.netty.util.ResourceLeakDetector;
import io.simqtt.config.NodeSettings;
import io.simqtt.config.SettingsException;
import io.simqtt.config.SettingsLoader;

/**
 * Entry point of one si-mqtt node. Exit codes: 0 after --help, --version or a clean stop
 * (SIGTERM, Ctrl-C); 1 when the broker fails to start (a durable store that is damaged, partial or
 * from a newer version included, before any port is opened); 2 for bad arguments or settings,
 * which are reported before any port is opened.
 */
public final class NodeMain {

  static final int EXIT_OK = 0;
  static final int EXIT_START_FAILED = 1;
  static final int EXIT_USAGE = 2;

  private NodeMain() {}

  public static void main(String[] args) {
    // Before anything that logs (Netty's classes do): logback reads its configuration then.
    String logProblem = LogSetup.checkFormat(System.getenv());
    if (logProblem != null) {
      System.err.println("si-mqtt: " + logProblem);
      System.exit(EXIT_USAGE);
    }
    if (System.getProperty(LEAK_DETECTION) == null) {
      // Sampling buffers for leaks costs a stack capture each; tests keep it on, nodes off
      // unless asked for with -Dio.netty.leakDetection.level.
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    System.exit(run(args));
  }

  private static final String LEAK_DETECTION = "io.netty.leakDetection.level";

  static int run(String[] args) {
    Arguments arguments;
    NodeSettings settings;
    try {
      arguments = Arguments.parse(args);
      if (arguments.help()) {
        System.out.println(Arguments.USAGE);
        return EXIT_OK;
      }
      if (arguments.version()) {
        System.out.println("si-mqtt " + version());
        return EXIT_OK;
      }
      settings = SettingsLoader.load(args);
    } catch (Arguments.UsageException | SettingsException e) {
      System.err.println("si-mqtt: " + e.getMessage());
      return EXIT_USAGE;
    }
    LogSetup.nameNode(settings.nodeId());
    return new NodeRunner(settings, version()).runUntilStopped();
  }

  /** From the jar manifest; "dev" when run from classes (IDE, tests). */
  static String version() {
    String v = NodeMain.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
