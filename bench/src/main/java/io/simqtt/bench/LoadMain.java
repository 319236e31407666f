package io.simqtt.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The load tool's command line. Prints one JSON line per run on stdout and a readable summary on
 * stderr; exits 0 when the run completed (whatever the figures), 1 when it failed, 2 on bad
 * options.
 *
 * <pre>
 * java -cp 'bench/target/simqtt-bench.jar:bench/target/lib/*' io.simqtt.bench.LoadMain \
 *     --scenario fan-in --qos 1 --port 1883 --duration 10 --broker-pid $PID --label si-mqtt
 * java ... io.simqtt.bench.LoadMain -s conn-storm --connections 19000 --connect-rate 5000 \
 *     --keep-alive 60 --broker-pid $PID --hold 5
 * </pre>
 */
@Command(
    name = "simqtt-load",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "MQTT load generator: fan-in, fan-out, pairs, shared, wildcard, conn-storm, cross-node.")
public final class LoadMain implements Callable<Integer> {

  @Mixin LoadOptions options = new LoadOptions();

  @Option(names = "--json-only", description = "print only the JSON line")
  boolean jsonOnly;

  @Override
  public Integer call() throws Exception {
    try {
      options.validate();
    } catch (IllegalArgumentException e) {
      System.err.println("bad options: " + e.getMessage());
      return 2;
    }
    LoadResult r = LoadRunner.run(options);
    System.out.println(r.toJson());
    System.out.flush();
    if (!jsonOnly) {
      System.err.println(r.summary());
    }
    return r.error() != null && r.sent() == 0 && r.connections() <= 0 ? 1 : 0;
  }

  public static void main(String[] args) {
    int code = new CommandLine(new LoadMain()).execute(args);
    System.exit(code);
  }
}
