# Sourced by the scripts in bin/: where the node's jars and configs live, which java runs it and
# with which options. Sets ROOT, JAR, LIB, CONF, JAVA and NODE_JAVA_OPTS, and ensure_built.
# Two layouts: an unpacked release (lib/simqtt-node.jar beside bin/: nothing to build) and a
# source checkout (peer/target, built with Maven when missing or older than the sources).
# shellcheck shell=bash disable=SC2034 # its variables are for the scripts that source it

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$ROOT/lib/simqtt-node.jar" ]]; then
  RELEASE=1
  JAR="$ROOT/lib/simqtt-node.jar"
  LIB="$ROOT/lib"
  CONF="$ROOT/conf"
else
  RELEASE=0
  JAR="$ROOT/peer/target/simqtt-node.jar"
  LIB="$ROOT/peer/target/lib"
  CONF="$ROOT/config/src/main/resources"
fi

JAVA="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
  JAVA="$JAVA_HOME/bin/java"
fi

# The JVM options a node runs with when JAVA_OPTS is unset. The parallel collector with a
# fixed 32 MB young generation: message garbage dies young in short pauses (about 1.5 ms with few
# connections, a few ms with thousands of busy ones), and the heap grows only by what is live:
# about 2.2 KB of resident memory per idle connection, 0.4 KB less than G1's defaults
# (docs/BENCHMARKS.md, "Memory per idle connection"). For
# heaps of several GB (hundreds of thousands of connections) G1 pauses less on full
# collections: JAVA_OPTS="-XX:+UseG1GC".
NODE_JAVA_OPTS="${JAVA_OPTS:--XX:+UseParallelGC -Xmn32m}"
# Java 25 and later keep an object's header in 8 bytes instead of 12 when asked: about 9% less
# live heap per idle connection (docs/BENCHMARKS.md). Java 17 does not know the option, and
# Java 24 has it only as an experiment: asking the JVM itself tells them apart.
if [[ -z "${JAVA_OPTS:-}" ]] && "$JAVA" -XX:+UseCompactObjectHeaders -version >/dev/null 2>&1; then
  NODE_JAVA_OPTS+=" -XX:+UseCompactObjectHeaders"
fi
if ((RELEASE)) && [[ -f "$CONF/logback.xml" ]]; then
  # The release's logging: stdout and a size-rotated file (conf/logback.xml).
  NODE_JAVA_OPTS+=" -Dsimqtt.home=$ROOT -Dlogback.configurationFile=$CONF/logback.xml"
fi

# A source file or pom newer than the jar: the jar would run code older than the checkout.
sources_newer_than_jar() {
  [[ -n "$(find "$ROOT/pom.xml" "$ROOT/proto" "$ROOT/config" "$ROOT/core" "$ROOT/peer" \
    \( -path '*/target' -o -path '*/src/test' \) -prune -o -type f -newer "$JAR" -print \
    -quit 2>/dev/null)" ]]
}

# ensure_built NAME: in a source checkout, builds the node with Maven when peer/target has no
# jar yet or the sources changed since (a stale jar would otherwise run silently after git pull),
# saying so on stderr as NAME. A release has nothing to build. In a subshell so relative paths in
# the caller's arguments keep meaning the caller's directory.
ensure_built() {
  ((RELEASE)) && return 0
  local why=""
  if [[ ! -f "$JAR" || ! -d "$LIB" ]]; then
    why="no build found"
  elif sources_newer_than_jar; then
    why="sources changed since the last build"
  fi
  if [[ -n "$why" ]]; then
    echo "$1: $why, building with Maven (./mvnw -DskipTests package) ..." >&2
    (cd "$ROOT" && ./mvnw -B -ntp -q -DskipTests package)
  fi
}
