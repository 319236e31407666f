#!/usr/bin/env bash
# Adds, changes or deletes a user of a password file in Mosquitto's format, the file that
# mqtt.auth.password-file names (files made by mosquitto_passwd work the same).
#
#   bin/passwd.sh [-c] [--iterations N] FILE USER   add or change USER; -c creates FILE
#   bin/passwd.sh -D FILE USER                      delete USER
#
# The password is asked twice on a terminal, or read as one line from standard input
# (printf '%s\n' "$PW" | bin/passwd.sh FILE USER); never from the command line. Exit status:
# 0 done, 1 the file cannot be used, 2 bad usage.
set -euo pipefail

# shellcheck source=bin/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
ensure_built si-mqtt-passwd

exec "$JAVA" -cp "$JAR:$LIB/*" io.simqtt.peer.PasswdMain "$@"
