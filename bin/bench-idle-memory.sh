#!/usr/bin/env bash
# Resident memory per idle connection, each broker started fresh for each measurement: its RSS
# before any connection, then N idle MQTT 5 connections (keep alive 60 s) held until the load
# tool has pinged every one of them, RSS again; for si-mqtt also after a forced full GC, with the
# live heap by class (jcmd GC.class_histogram) beside that of a fresh node with no connection.
#
#   bin/bench-idle-memory.sh [--connections N] [--only LIST] [--out DIR]
#
#   --connections N  idle connections (default 19000; this process and the broker each need one
#                    descriptor per connection: ulimit -n must be above N)
#   --only LIST      comma-separated, from: mosquitto, si-java17, si-java25, si-java25-coh
#                    (default: all four; si-java25-coh = -XX:+UseCompactObjectHeaders)
#   --out DIR        results.txt and the histograms (default bench/target/idle-memory-<timestamp>)
#
# Environment: SIMQTT_JAVA_OPTS  si-mqtt's JVM options (default: a node's, bin/node-env.sh)
#              JAVA17, JAVA25    the two JVMs (default: java on the PATH, Temurin 25 under
#                                /usr/lib/jvm)
#
# si-mqtt runs as the core broker (io.simqtt.bench.BrokerMain) with the node's JVM options and,
# as a node has it, Netty's leak detector off. The brokers listen on 127.0.0.1 only and run on
# core 0, the load on core 1 (with 2+ cores). Each measurement takes about 80 s: the load tool
# pings every connection once, 60 s after opening them. Stops exactly the processes it started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS=19000
ONLY="mosquitto,si-java17,si-java25,si-java25-coh"
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) CONNECTIONS="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-idle-memory: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
OUT="${OUT:-$ROOT/bench/target/idle-memory-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

JAVA_OPTS="${SIMQTT_JAVA_OPTS:-}"
# shellcheck source=bin/node-env.sh
source "$ROOT/bin/node-env.sh"
SI_OPTS="$NODE_JAVA_OPTS -Dio.netty.leakDetection.level=disabled"
JAVA17="${JAVA17:-java}"
JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
# shellcheck source=bin/bench-env.sh
source "$ROOT/bin/bench-env.sh"

KEEP_ALIVE=60
# the load tool's first ping round comes KEEP_ALIVE s after it starts; read after it
PINGED_AFTER=$((KEEP_ALIVE + 8))
HOLD=$((PINGED_AFTER + 10))

rss() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }

wait_listening() { # pid port name
  for _ in $(seq 1 300); do
    kill -0 "$1" 2>/dev/null || { echo "bench-idle-memory: $3 exited during start" >&2; return 1; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench-idle-memory: $3 did not listen on 127.0.0.1:$2 within 30 s" >&2; return 1
}

start_broker() { # config port; sets PID
  case "$1" in
    mosquitto)
      printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\nlog_dest stderr\nlog_type error\n' \
        "$2" > "$OUT/mosquitto.conf"
      "${PIN_BROKER[@]}" "$MOSQUITTO" -c "$OUT/mosquitto.conf" >> "$OUT/$1.log" 2>&1 &
      ;;
    si-java17 | si-java25 | si-java25-coh)
      local java="$JAVA25" opts="$SI_OPTS"
      if [[ "$1" == si-java17 ]]; then java="$JAVA17"; fi
      if [[ "$1" == si-java25-coh ]]; then opts+=" -XX:+UseCompactObjectHeaders"; fi
      # shellcheck disable=SC2086 # options are deliberately split
      SIMQTT_MQTT__LISTENERS__TCP__HOST=127.0.0.1 SIMQTT_MQTT__LISTENERS__TCP__PORT="$2" \
        "${PIN_BROKER[@]}" "$java" $opts -cp "$CP" io.simqtt.bench.BrokerMain >> "$OUT/$1.log" 2>&1 &
      ;;
    *) echo "bench-idle-memory: unknown configuration $1" >&2; exit 2 ;;
  esac
  PID=$!
  STARTED_PIDS+=("$PID")
  wait_listening "$PID" "$2" "$1"
  sleep 2 # settled: start-up threads done, nothing touched by a client yet
}

jcmd_of() { # the jcmd beside the broker's java
  if [[ "$1" == si-java17 ]]; then echo "${JAVA17%java}jcmd"; else echo "${JAVA25%java}jcmd"; fi
}

measure() { # config
  local port; port=$(free_port)
  start_broker "$1" "$port"
  local before; before=$(rss "$PID")
  "${PIN_LOAD[@]}" java -cp "$CP" io.simqtt.bench.LoadMain --port "$port" --broker-pid "$PID" \
    -s conn-storm --connections "$CONNECTIONS" --connect-rate 5000 --keep-alive "$KEEP_ALIVE" \
    --hold "$HOLD" --label "$1" --json-only > "$OUT/$1.json" 2> "$OUT/$1.load.log" &
  local load=$!
  for _ in $(seq 1 1200); do # until all are open (at most 120 s)
    grep -q 'holding them' "$OUT/$1.load.log" && break
    kill -0 "$load" 2>/dev/null || break
    sleep 0.1
  done
  sleep "$PINGED_AFTER"
  local after; after=$(rss "$PID")
  local gc=-
  if [[ "$1" != mosquitto ]]; then
    "$(jcmd_of "$1")" "$PID" GC.class_histogram > "$OUT/$1.histogram.txt" # a full GC first
    gc=$(rss "$PID")
  fi
  wait "$load" || true
  stop_pid "$PID"
  if [[ ! -s "$OUT/$1.json" ]]; then
    echo "bench-idle-memory: the load tool gave no result for $1; see $OUT/$1.load.log" >&2
    return 1
  fi
  local open pongs
  open=$(jq -r .connections "$OUT/$1.json")
  pongs=$(jq -r .pongs "$OUT/$1.json")
  printf '%-14s %7s %7s %10s %10s %10s %9s %11s\n' "$1" "$open" "$pongs" \
    "$((before / 1024))K" "$((after / 1024))K" \
    "$([[ $gc == - ]] && echo - || echo "$((gc / 1024))K")" \
    "$(((after - before) / open))" "$([[ $gc == - ]] && echo - || echo "$(((gc - before) / open))")" \
    | tee -a "$OUT/results.txt"
}

idle_histogram() { # config: a fresh broker's live heap with no connection, for the comparison
  local port; port=$(free_port)
  start_broker "$1" "$port"
  "$(jcmd_of "$1")" "$PID" GC.class_histogram > "$OUT/$1.idle-histogram.txt"
  stop_pid "$PID"
}

{
  echo "connections: $CONNECTIONS, keep alive $KEEP_ALIVE s, ulimit -n $(ulimit -n); si-mqtt opts: $SI_OPTS"
  echo "load average $(cut -d' ' -f1-3 /proc/loadavg); pinning: broker ${PIN_BROKER[*]:-none}, load ${PIN_LOAD[*]:-none}"
  printf '%-14s %7s %7s %10s %10s %10s %9s %11s\n' broker open pinged 'RSS before' 'RSS after' 'after GC' \
    'B/conn' 'B/conn GC'
} | tee "$OUT/results.txt"
IFS=, read -r -a CONFIGS <<< "$ONLY"
for c in "${CONFIGS[@]}"; do
  measure "$c"
  if [[ "$c" != mosquitto ]]; then idle_histogram "$c"; fi
done
echo "results: $OUT/results.txt" >&2
