# Sourced by the benchmark scripts in bin/ (after they set ROOT): the load tool's class path,
# built when missing; the cores the broker and the load run on; the broker processes they start,
# stopped (and only they) when the script ends however it ends; and free ports to start them on.
# Sets CP, PIN_BROKER and PIN_LOAD, STARTED_PIDS (append each pid started) and BENCH_NAME (the
# script's name, for messages).
# shellcheck shell=bash disable=SC2034 # its variables are for the scripts that source it

BENCH_NAME="$(basename "${BASH_SOURCE[1]}" .sh)"

BENCH_JAR="$ROOT/bench/target/simqtt-bench.jar"
if [[ ! -f "$BENCH_JAR" || ! -d "$ROOT/bench/target/lib" ]]; then
  echo "$BENCH_NAME: building the bench module ..." >&2
  (cd "$ROOT" && { ./mvnw -B -ntp -o -q -pl bench -am -DskipTests package \
    || ./mvnw -B -ntp -q -pl bench -am -DskipTests package; })
fi
CP="$BENCH_JAR:$ROOT/bench/target/lib/*"

# With two or more cores the broker runs on core 0 and the load generator on core 1.
PIN_BROKER=()
PIN_LOAD=()
if command -v taskset >/dev/null 2>&1 && [[ "$(nproc)" -ge 2 ]]; then
  PIN_BROKER=(taskset -c 0)
  PIN_LOAD=(taskset -c 1)
fi
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
