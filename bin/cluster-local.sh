#!/usr/bin/env bash
# A three-node si-mqtt cluster on this machine, for development and demos.
#
#   bin/cluster-local.sh start    start n1, n2, n3; returns once every node has all its links up
#   bin/cluster-local.sh start --tls   the same with mutual TLS on the peer links (certificates
#                                 from bin/cluster-certs.sh in the run folder's certs/)
#   bin/cluster-local.sh status   each node: pid alive?, MQTT port, its links (from its log)
#   bin/cluster-local.sh stop     SIGTERM to exactly the nodes start launched, wait, report
#
# MQTT on 127.0.0.1:1883/1884/1885, peer (gRPC) ports 7946/7947/7948, configs from
# examples/cluster-local/n{1,2,3}.conf (under conf/ in a release, config/src/main/resources/ in a
# checkout). Logs (nX.log) and pid files
# (nX.pid) go to one folder. Environment:
#   SIMQTT_RUN_DIR          that folder (default: run/cluster-local under the repo root)
#   SIMQTT_CLUSTER_SECRET   the shared cluster secret (default: a fixed local-only value)
#   SIMQTT_BASE_MQTT_PORT   MQTT port of n1; n2 and n3 take the next two (default 1883)
#   SIMQTT_BASE_PEER_PORT   peer port of n1; n2 and n3 take the next two (default 7946)
#   SIMQTT_BASE_ADMIN_PORT  admin API port of n1 (bin/admin.sh --node); next two (default 9090)
#   SIMQTT_BASE_METRICS_PORT  metrics port of n1; n2 and n3 take the next two (default 9464)
#   SIMQTT_START_TIMEOUT    seconds start waits for all links (default 60)
#   SIMQTT_CLUSTER_TLS      1: as start --tls
#   JAVA_OPTS               passed to each node's java (bin/start-node.sh)
# From a source checkout, builds the node (./mvnw -DskipTests package) when it is missing or older
# than the sources; an unpacked release runs as it is.
set -euo pipefail

# shellcheck source=bin/node-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
CONF_DIR="$CONF/examples/cluster-local"
RUN_DIR="${SIMQTT_RUN_DIR:-$ROOT/run/cluster-local}"
BASE_MQTT="${SIMQTT_BASE_MQTT_PORT:-1883}"
BASE_PEER="${SIMQTT_BASE_PEER_PORT:-7946}"
BASE_ADMIN="${SIMQTT_BASE_ADMIN_PORT:-9090}"
BASE_METRICS="${SIMQTT_BASE_METRICS_PORT:-9464}"
START_TIMEOUT="${SIMQTT_START_TIMEOUT:-60}"
STOP_TIMEOUT=20
NODES=(n1 n2 n3)

# Local default only: anything reachable from another machine needs a real secret.
export SIMQTT_CLUSTER_SECRET="${SIMQTT_CLUSTER_SECRET:-cluster-local-dev-secret-not-for-production}"

usage() {
  sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
  echo "cluster-local: $*" >&2
  exit 1
}

# Index (0..2) of a node id.
index_of() {
  local id="$1"
  echo $((${id#n} - 1))
}

mqtt_port() { echo $((BASE_MQTT + $(index_of "$1"))); }
peer_port() { echo $((BASE_PEER + $(index_of "$1"))); }
admin_port() { echo $((BASE_ADMIN + $(index_of "$1"))); }
metrics_port() { echo $((BASE_METRICS + $(index_of "$1"))); }

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# The pid in a node's pid file when that process is alive and is still our node, else nothing.
live_pid() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # The pid must still be a si-mqtt node: pids are reused after a process exits. Just after
  # start it may still be bin/start-node.sh, before that script execs java.
  if kill -0 "$pid" 2>/dev/null \
      && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null \
        | grep -qE 'io\.simqtt\.peer\.NodeMain|bin/start-node\.sh'; then
    echo "$pid"
  fi
}

# The other two node ids.
peers_of() {
  local n
  for n in "${NODES[@]}"; do
    [[ "$n" != "$1" ]] && echo "$n"
  done
  return 0
}

# A node's state of its link to a peer, from the last "cluster link to PEER up|down" line.
link_state() {
  local log last
  log="$(log_file "$1")"
  last="$(grep -Eo "cluster link to $2 (up|down)" "$log" 2>/dev/null | tail -n 1 || true)"
  case "$last" in
    *" up") echo "UP" ;;
    *" down") echo "DOWN" ;;
    *) echo "CONNECTING" ;;
  esac
}

all_links_up() {
  local p
  for p in $(peers_of "$1"); do
    [[ "$(link_state "$1" "$p")" == "UP" ]] || return 1
  done
}

# SIGTERM to the given nodes, wait, report; removes their pid files. Returns 1 if one would
# not stop and had to be killed.
stop_nodes() {
  local n pid status=0 deadline
  local -a pids=() names=()
  for n in "$@"; do
    pid="$(live_pid "$n")"
    if [[ -n "$pid" ]]; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$n")
    elif [[ -f "$(pid_file "$n")" ]]; then
      echo "$n: not running (stale pid file removed)"
    fi
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for i in "${!pids[@]}"; do
    pid="${pids[$i]}"
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "${names[$i]}: pid $pid still running ${STOP_TIMEOUT}s after SIGTERM, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      status=1
    else
      echo "${names[$i]}: stopped (pid $pid)"
    fi
  done
  for n in "$@"; do
    rm -f "$(pid_file "$n")"
  done
  return "$status"
}

cmd_start() {
  local n pid running=() tls="${SIMQTT_CLUSTER_TLS:-0}"
  [[ "${1:-}" == "--tls" ]] && tls=1
  for n in "${NODES[@]}"; do
    pid="$(live_pid "$n")"
    [[ -n "$pid" ]] && running+=("$n (pid $pid)")
  done
  if ((${#running[@]} > 0)); then
    die "already running: ${running[*]}; run '$0 stop' first (run dir $RUN_DIR)"
  fi
  ensure_built cluster-local
  mkdir -p "$RUN_DIR"
  local -a env_ports=()
  for n in "${NODES[@]}"; do
    local upper="${n^^}"
    env_ports+=("CLUSTER_LOCAL_MQTT_PORT_$upper=$(mqtt_port "$n")")
    env_ports+=("CLUSTER_LOCAL_PEER_PORT_$upper=$(peer_port "$n")")
    env_ports+=("CLUSTER_LOCAL_ADMIN_PORT_$upper=$(admin_port "$n")")
    env_ports+=("CLUSTER_LOCAL_METRICS_PORT_$upper=$(metrics_port "$n")")
  done
  local certs="$RUN_DIR/certs"
  if ((tls == 1)); then
    bash "$ROOT/bin/cluster-certs.sh" "$certs" "${NODES[@]}" >/dev/null
  fi
  local -A started=()
  for n in "${NODES[@]}"; do
    rm -f "$(pid_file "$n")"
    local -a env_tls=()
    if ((tls == 1)); then
      env_tls=(SIMQTT_CLUSTER__TLS__ENABLED=true "SIMQTT_CLUSTER__TLS__CERT_FILE=$certs/$n.pem"
        "SIMQTT_CLUSTER__TLS__KEY_FILE=$certs/$n.key" "SIMQTT_CLUSTER__TLS__CA_FILE=$certs/ca.pem")
    fi
    # start-node.sh execs java, so $! is the node's own pid. stdin from /dev/null and output to
    # the log: the node does not hold on to this shell's terminal or pipes.
    env "${env_ports[@]}" "${env_tls[@]}" nohup bash "$ROOT/bin/start-node.sh" \
      --config "$CONF_DIR/$n.conf" </dev/null >"$(log_file "$n")" 2>&1 &
    started[$n]=$!
    echo "$!" >"$(pid_file "$n")"
  done

  local deadline=$((SECONDS + START_TIMEOUT)) ready
  while true; do
    ready=0
    for n in "${NODES[@]}"; do
      # Our own child: alive is enough. (live_pid's command-line check is for pid files of
      # earlier runs; just after the fork the child still shows this script's command line.)
      if ! kill -0 "${started[$n]}" 2>/dev/null; then
        echo "cluster-local: $n exited during start; last lines of $(log_file "$n"):" >&2
        tail -n 20 "$(log_file "$n")" >&2 || true
        stop_nodes "${NODES[@]}" >&2 || true
        exit 1
      fi
      all_links_up "$n" && ready=$((ready + 1))
    done
    ((ready == ${#NODES[@]})) && break
    if ((SECONDS >= deadline)); then
      echo "cluster-local: links not all up after ${START_TIMEOUT}s" >&2
      for n in "${NODES[@]}"; do
        echo "--- $n: last lines of $(log_file "$n")" >&2
        tail -n 15 "$(log_file "$n")" >&2 || true
      done
      stop_nodes "${NODES[@]}" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  echo "cluster-local: 3 nodes up, all links up$( ((tls == 1)) && echo " over mutual TLS")" \
    "(logs and pids in $RUN_DIR)"
  cmd_status
}

cmd_status() {
  local n pid links p all_ok=0
  printf '%-4s %-8s %-7s %-6s %s\n' NODE PID STATE MQTT LINKS
  for n in "${NODES[@]}"; do
    pid="$(live_pid "$n")"
    links=""
    for p in $(peers_of "$n"); do
      links+="$p=$(if [[ -n "$pid" ]]; then link_state "$n" "$p"; else echo "-"; fi) "
    done
    if [[ -n "$pid" ]]; then
      printf '%-4s %-8s %-7s %-6s %s\n' "$n" "$pid" running "$(mqtt_port "$n")" "$links"
      all_links_up "$n" || all_ok=1
    else
      printf '%-4s %-8s %-7s %-6s %s\n' "$n" - stopped "$(mqtt_port "$n")" "$links"
      all_ok=1
    fi
  done
  # 0: all three running with every link up; 3: not (as LSB status scripts answer).
  return $((all_ok == 0 ? 0 : 3))
}

cmd_stop() {
  local any=0 n
  for n in "${NODES[@]}"; do
    [[ -f "$(pid_file "$n")" ]] && any=1
  done
  if ((any == 0)); then
    echo "cluster-local: nothing to stop (no pid files in $RUN_DIR)"
    return 0
  fi
  stop_nodes "${NODES[@]}"
}

case "${1:-}" in
  start) cmd_start "${2:-}" ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  -h | --help | help) usage ;;
  *)
    usage >&2
    exit 2
    ;;
esac
