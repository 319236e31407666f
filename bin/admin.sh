#!/usr/bin/env bash
# Operates a running si-mqtt node (and its cluster) over the gRPC admin API.
#
#   bin/admin.sh COMMAND [--node host:port] [--token T] [--tls | --ca FILE] [--json] [ARGS]
#   bin/admin.sh --help            # every command: status, clients, client, kick, subscriptions,
#                                  # retained, retained-get, retained-delete, publish, metrics,
#                                  # reload (re-read the password and ACL files on every node)
#
# --node defaults to 127.0.0.1:9090; the token defaults to $SIMQTT_ADMIN_TOKEN. Exit status:
# 0 ok, 1 the call failed (one line "si-mqtt-admin: CODE: reason" on stderr), 2 bad usage.
# From a source checkout, builds the node first when it is missing or older than the sources.
set -euo pipefail

# shellcheck source=bin/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
ensure_built si-mqtt-admin

exec "$JAVA" -cp "$JAR:$LIB/*" io.simqtt.peer.admin.AdminCli "$@"
