# Sourced by the benchmark scripts in bin/: the broker processes they start, stopped (and only
# they) when the script ends however it ends, and free ports to start them on. Sets
# STARTED_PIDS (append each pid started) and BENCH_NAME (the script's name, for messages).
# shellcheck shell=bash

BENCH_NAME="$(basename "${BASH_SOURCE[1]}" .sh)"
STARTED_PIDS=()

# SIGTERM, up to 10 s to go, then SIGKILL.
stop_pid() {
  if kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
  fi
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    stop_pid "$pid"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# below the ephemeral range, so no client socket (or its TIME_WAIT) can hold the port
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 10000 + RANDOM % (EPHEMERAL_LOW - 10000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"; return 0
    fi
  done
  echo "$BENCH_NAME: no free port found" >&2; return 1
}
