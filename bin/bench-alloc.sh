#!/usr/bin/env bash
# What si-mqtt allocates per message at a steady low rate, and where: the p2p scenario (1,000
# publishers, each publishing QoS 1 to its own subscriber, 10,000 msg/s in total, 64 B) against
# the core broker recorded by JFR, then io.simqtt.bench.AllocationReport on the recording (bytes
# per message from the heap, allocation samples by class and site).
#
#   bin/bench-alloc.sh [--duration S] [--out DIR]
#
#   --duration S  measured seconds after a 5 s warm-up (default 30)
#   --out DIR     rec.jfr, gc.log, the load tool's output and report.txt
#                 (default bench/target/alloc-<timestamp>)
#
# Environment: SIMQTT_JAVA_OPTS  the broker's JVM options (default: a node's, bin/node-env.sh)
#
# The broker runs as io.simqtt.bench.BrokerMain with Netty's leak detector off, as in a node, on
# 127.0.0.1 and core 0; the load on core 1. Allocation per message does not depend on how busy
# the machine is; the latency the load tool prints does, so read it only on a quiet machine.
# Stops exactly the broker it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION=30
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-alloc: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-$ROOT/bench/target/alloc-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

JAVA_OPTS="${SIMQTT_JAVA_OPTS:-}"
# shellcheck source=bin/node-env.sh
source "$ROOT/bin/node-env.sh"
# shellcheck source=bin/bench-env.sh
source "$ROOT/bin/bench-env.sh"

RATE=10000
# JFR's profile settings with ten times its allocation samples, for steadier shares
JAVA_HOME_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")"
sed 's#<setting name="throttle" control="allocation-profiling">300/s</setting>#<setting name="throttle" control="allocation-profiling">3000/s</setting>#' \
  "$JAVA_HOME_DIR/lib/jfr/profile.jfc" > "$OUT/alloc.jfc"

PORT=$(free_port)
# shellcheck disable=SC2086 # options are deliberately split
SIMQTT_MQTT__LISTENERS__TCP__HOST=127.0.0.1 SIMQTT_MQTT__LISTENERS__TCP__PORT="$PORT" \
  "${PIN_BROKER[@]}" "$JAVA" $NODE_JAVA_OPTS -Dio.netty.leakDetection.level=disabled \
  "-Xlog:gc:file=$OUT/gc.log:uptime" \
  "-XX:StartFlightRecording=filename=$OUT/rec.jfr,settings=$OUT/alloc.jfc" \
  -cp "$CP" io.simqtt.bench.BrokerMain > "$OUT/broker.log" 2>&1 &
BROKER=$!
STARTED_PIDS+=("$BROKER")
for _ in $(seq 1 300); do
  grep -q listening "$OUT/broker.log" && break
  kill -0 "$BROKER" 2>/dev/null || { echo "bench-alloc: the broker exited; see $OUT/broker.log" >&2; exit 1; }
  sleep 0.1
done

"${PIN_LOAD[@]}" "$JAVA" -cp "$CP" io.simqtt.bench.LoadMain --port "$PORT" --broker-pid "$BROKER" \
  -s pairs -q 1 -N 1000 --rate "$RATE" --payload 64 --warmup 5 --duration "$DURATION" \
  > "$OUT/load.txt" 2>&1
stop_pid "$BROKER" # the recording is written on exit
"$JAVA" -cp "$CP" io.simqtt.bench.AllocationReport "$OUT/rec.jfr" "$RATE" 8 25 | tee "$OUT/report.txt"
echo "results: $OUT" >&2
