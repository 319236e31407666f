#!/usr/bin/env bash
# Whether the overload limits keep other clients' latency near idle: one si-mqtt node, a
# measured QoS 1 fan-in at a steady rate, in three runs:
#
#   idle      the measured run alone, limits set
#   limited   the same while one client publishes as fast as it can and a connect storm runs,
#             limits set (the flooder and the storm are held to them)
#   unlimited the same load with no limits (the node's defaults)
#
# in rounds (idle, limited, unlimited in each), since a shared machine's noise varies by the minute.
#
#   bin/bench-overload.sh [--duration S] [--rounds N] [--out DIR]
#
#   --duration S   measured seconds of each run (default 15)
#   --rounds N     rounds of the three runs (default 3)
#   --out DIR      where results.jsonl, table.txt and the broker logs go
#                  (default bench/target/overload-<timestamp>)
#
# Environment: SIMQTT_JAVA_OPTS  JVM options for si-mqtt (default: a node's, bin/node-env.sh)
#              LOAD_JAVA_OPTS    JVM options for the load generators
#
# Limits of the limited runs: mqtt.limits.max-messages-per-second = 1000 per client,
# mqtt.listeners.tcp.max-connection-rate-per-address = 100. The storm comes from 127.0.0.2, the
# flood from 127.0.0.3 (loopback addresses like 127.0.0.1), the measured clients from 127.0.0.1. The
# broker listens on 127.0.0.1, on a free port. With two or more cores the measured load
# generator runs alone on core 1 and the broker on core 0, which it shares with the flood's and
# the storm's generators at nice 19: in real life those are remote clients, whose own CPU should
# neither slow the broker nor delay the measured client's timestamps. The script stops exactly
# the processes it started (by PID, on EXIT).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION=15
ROUNDS=3
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-overload: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-$ROOT/bench/target/overload-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

JAVA_OPTS="${SIMQTT_JAVA_OPTS:-}"
# shellcheck source=bin/node-env.sh
source "$ROOT/bin/node-env.sh"
SI_OPTS="$NODE_JAVA_OPTS"
LOAD_OPTS="${LOAD_JAVA_OPTS:-}"

# shellcheck source=bin/bench-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-env.sh"
# The flood's and the storm's generators share the broker's core at the lowest priority.
PIN_NOISE=()
if [[ ${#PIN_BROKER[@]} -gt 0 ]]; then
  PIN_NOISE=(nice -n 19 "${PIN_BROKER[@]}")
fi

BROKER_PID=""
PORT=""
start_broker() { # name, then KEY=VALUE settings for the environment
  local name="$1"; shift
  PORT=$(free_port)
  # shellcheck disable=SC2086 # options are deliberately split
  env SIMQTT_MQTT__LISTENERS__TCP__HOST=127.0.0.1 SIMQTT_MQTT__LISTENERS__TCP__PORT="$PORT" \
    SIMQTT_MQTT__SYS__INTERVAL=0 "$@" \
    "${PIN_BROKER[@]}" "$JAVA" $SI_OPTS -cp "$CP" io.simqtt.bench.BrokerMain \
    >> "$OUT/si-mqtt-$name.log" 2>&1 &
  BROKER_PID=$!
  STARTED_PIDS+=("$BROKER_PID")
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    kill -0 "$BROKER_PID" 2>/dev/null || { echo "bench-overload: broker exited" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench-overload: broker did not listen within 30 s" >&2; exit 1
}

load() { # label, then LoadMain arguments; the JSON line goes to results.jsonl
  local label="$1"; shift
  local pin=("${PIN_LOAD[@]}")
  [[ "$label" == */measured ]] || pin=("${PIN_NOISE[@]}")
  # shellcheck disable=SC2086 # options are deliberately split
  "${pin[@]}" "$JAVA" $LOAD_OPTS -cp "$CP" io.simqtt.bench.LoadMain \
    --host 127.0.0.1 --port "$PORT" --label "$label" "$@" \
    2>> "$OUT/load.log" | tee -a "$RESULTS" > /dev/null || true
}

MEASURED=(-s fan-in -q 1 -P 4 --rate 2000 --payload 64 --warmup 3 --duration "$DURATION")
# Both run longer than the measured run, which starts once they are under way.
FLOOD=(-s fan-in --bind 127.0.0.3 -q 1 -P 1 --payload 64 --warmup 0 --duration "$((DURATION + 8))" --drain 2)
STORM=(-s conn-storm --bind 127.0.0.2 --connections 10000 --connect-rate 500 --keep-alive 60 --drain 2)

run() { # name, then the broker's settings
  local name="$1"; shift
  start_broker "$name" "$@"
  if [[ "$name" != idle-* ]]; then
    load "$name/flood" "${FLOOD[@]}" &
    local flood=$!
    load "$name/storm" "${STORM[@]}" &
    local storm=$!
    sleep 3 # the flood and the storm under way before measuring
  fi
  load "$name/measured" "${MEASURED[@]}" --broker-pid "$BROKER_PID"
  if [[ "$name" != idle-* ]]; then
    wait "$flood" "$storm" || true
  fi
  stop_pid "$BROKER_PID"
}

LIMITS=(SIMQTT_MQTT__LIMITS__MAX_MESSAGES_PER_SECOND=1000
        SIMQTT_MQTT__LISTENERS__TCP__MAX_CONNECTION_RATE_PER_ADDRESS=100)
NAMES=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r of $ROUNDS; load average $(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a "$OUT/machine.txt" >&2
  run "idle-$r" "${LIMITS[@]}"
  run "limited-$r" "${LIMITS[@]}"
  run "unlimited-$r"
  NAMES+=("idle-$r" "limited-$r" "unlimited-$r")
done

{
  echo "run | measured msgs/s | p50 us | p99 us | p999 us | max us | flood msgs/s | storm connects/s (established / failed)"
  for name in "${NAMES[@]}"; do
    jq -r --arg n "$name" -s '
      (map(select(.broker == ($n + "/measured")))[0]) as $m |
      (map(select(.broker == ($n + "/flood")))[0]) as $f |
      (map(select(.broker == ($n + "/storm")))[0]) as $s |
      [$n, ($m.msgs_per_s | floor), ($m.p50_us | floor), ($m.p99_us | floor),
       ($m.p999_us | floor), ($m.max_us | floor),
       (if $f then ($f.msgs_per_s | floor) else "-" end),
       (if $s then "\($s.connects_per_s | floor) (\($s.connections) / \($s.failed_connections))"
        else "-" end)] | join(" | ")' "$RESULTS"
  done
} | tee "$OUT/table.txt"
echo "results in $OUT" >&2
