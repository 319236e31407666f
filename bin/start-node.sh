#!/usr/bin/env bash
# Starts one si-mqtt node in the foreground; Ctrl-C or SIGTERM stops it (exit code 0).
#
#   bin/start-node.sh [--config FILE] [--help] [--version]
#
# Builds the node first when peer/target has no jar yet. JAVA_OPTS is passed to java
# (default: -XX:+UseG1GC); settings may also come from SIMQTT_* variables or SI_CFG_PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/peer/target/simqtt-node.jar"
LIB="$ROOT/peer/target/lib"

if [[ ! -f "$JAR" || ! -d "$LIB" ]]; then
  echo "si-mqtt: no build found, building with Maven (mvn -DskipTests package) ..." >&2
  # In a subshell so relative paths in the arguments (--config FILE) keep meaning the caller's.
  (cd "$ROOT" && mvn -B -ntp -q -DskipTests package)
fi

JAVA="java"
if [[ -n "${JAVA_HOME:-}" ]]; then
  JAVA="$JAVA_HOME/bin/java"
fi

# exec: java becomes this process, so SIGTERM reaches it and its exit code is ours.
# shellcheck disable=SC2086 # JAVA_OPTS is deliberately split into separate options
exec "$JAVA" ${JAVA_OPTS:--XX:+UseG1GC} -cp "$JAR:$LIB/*" io.simqtt.peer.NodeMain "$@"
