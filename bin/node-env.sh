# Sourced by the scripts in bin/: where the built node lives, which java runs it, and a
# build on first use. Sets ROOT, JAR, LIB and JAVA.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/peer/target/simqtt-node.jar"
LIB="$ROOT/peer/target/lib"

JAVA="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
  JAVA="$JAVA_HOME/bin/java"
fi

# ensure_built NAME: builds the node with Maven when peer/target has no jar yet, saying so
# on stderr as NAME. In a subshell so relative paths in the caller's arguments keep meaning
# the caller's directory.
ensure_built() {
  if [[ ! -f "$JAR" || ! -d "$LIB" ]]; then
    echo "$1: no build found, building with Maven (mvn -DskipTests package) ..." >&2
    (cd "$ROOT" && mvn -B -ntp -q -DskipTests package)
  fi
}
