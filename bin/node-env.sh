# Sourced by the scripts in bin/: where the built node lives, which java runs it and with
# which options, and a build on first use. Sets ROOT, JAR, LIB, JAVA and NODE_JAVA_OPTS.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/peer/target/simqtt-node.jar"
LIB="$ROOT/peer/target/lib"

JAVA="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
  JAVA="$JAVA_HOME/bin/java"
fi

# The JVM options a node runs with when JAVA_OPTS is unset. The parallel collector with a
# fixed 32 MB young generation: message garbage dies young in short (about 1.5 ms) pauses, and
# the heap grows only by what is live, which keeps an idle connection under 2 KB of resident
# memory (G1 defaults: about 2.1 KB; docs/BENCHMARKS.md, "Memory per idle connection"). For
# heaps of several GB (hundreds of thousands of connections) G1 pauses less on full
# collections: JAVA_OPTS="-XX:+UseG1GC".
NODE_JAVA_OPTS="${JAVA_OPTS:--XX:+UseParallelGC -Xmn32m}"

# ensure_built NAME: builds the node with Maven when peer/target has no jar yet, saying so
# on stderr as NAME. In a subshell so relative paths in the caller's arguments keep meaning
# the caller's directory.
ensure_built() {
  if [[ ! -f "$JAR" || ! -d "$LIB" ]]; then
    echo "$1: no build found, building with Maven (mvn -DskipTests package) ..." >&2
    (cd "$ROOT" && mvn -B -ntp -q -DskipTests package)
  fi
}
