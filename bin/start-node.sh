#!/usr/bin/env bash
# Starts one si-mqtt node in the foreground; Ctrl-C or SIGTERM stops it (exit code 0).
#
#   bin/start-node.sh [--config FILE] [--help] [--version]
#
# From a source checkout, builds the node first when it is missing or older than the sources; an
# unpacked release (si-mqtt-<version>.tar.gz) needs only a JRE 17+. JAVA_OPTS is passed to java
# (default: -XX:+UseParallelGC -Xmn32m, see bin/node-env.sh); settings may also come from
# SIMQTT_* variables or SI_CFG_PATH.
set -euo pipefail

# shellcheck source=bin/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
ensure_built si-mqtt

# exec: java becomes this process, so SIGTERM reaches it and its exit code is ours.
# shellcheck disable=SC2086 # the options are deliberately split
exec "$JAVA" $NODE_JAVA_OPTS -cp "$JAR:$LIB/*" io.simqtt.peer.NodeMain "$@"
