#!/usr/bin/env bash
# Runs the same load scenarios against Mosquitto and si-mqtt in one run and prints a
# side-by-side table with the ratio si-mqtt / Mosquitto.
#
#   bin/bench-compare.sh [--quick] [--duration S] [--warmup S] [--only a,b,...] [--out DIR]
#                        [--transport tcp|tls|ws] [--auth none|password|acl]
#                        [--storage memory|always|interval] [--first mosquitto|si-mqtt]
#
#   --quick        a seconds-long smoke of every scenario (CI; no timing assertions)
#   --duration S   measured seconds per run (default 10; quick: 1)
#   --warmup S     warm-up seconds per run (default 3; quick: 0.5)
#   --only LIST    comma-separated scenario names from the table below
#   --out DIR      where results.jsonl, table.txt and the broker logs go
#                  (default bench/target/compare-<timestamp>)
#   --first B      the broker that runs the first selected scenario first (default mosquitto);
#                  the order then alternates from one scenario to the next. For repeated runs,
#                  alternate this too, so each scenario is measured in both orders
#   --transport T  how clients reach both brokers: tcp (default), tls (TLS 1.3 with an EC P-256
#                  certificate from bin/cluster-certs.sh) or ws (WebSocket; si-mqtt at /mqtt)
#   --auth A       what both brokers check: none (default; anonymous clients), password (a
#                  password file made by mosquitto_passwd, anonymous refused; every client
#                  logs in as one user) or acl (the same, and a 1,000-rule ACL file that both
#                  brokers read, its one matching rule last)
#   --storage S    subscribers keep their sessions (Session Expiry Interval 300 s) and both
#                  brokers are told where: memory (in the heap), always or interval (si-mqtt's
#                  durable mode, mqtt.storage.sync; Mosquitto with persistence true)
#
# Environment: SIMQTT_JAVA_OPTS  JVM options for si-mqtt (default: a node's, bin/node-env.sh;
#                                e.g. a JFR recording:
#                                -XX:StartFlightRecording=filename=/tmp/si.jfr,settings=profile)
#              LOAD_JAVA_OPTS    JVM options for the load generator
#
# Both brokers listen on 127.0.0.1 only, on free ports. With two or more cores the broker
# runs pinned to core 0 and the load generator to core 1 (taskset). The script stops exactly
# the broker processes it started (by PID, on EXIT). Exit code 1 when a run produced no
# result or reported an error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK=0
DURATION=""
WARMUP=""
ONLY=""
OUT=""
TRANSPORT=tcp
AUTH=none
STORAGE=""
FIRST=mosquitto
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --duration) DURATION="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    --transport) TRANSPORT="$2"; shift ;;
    --auth) AUTH="$2"; shift ;;
    --storage) STORAGE="$2"; shift ;;
    --first) FIRST="$2"; shift ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-compare: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ $QUICK == 1 ]]; then
  DURATION="${DURATION:-1}"; WARMUP="${WARMUP:-0.5}"
else
  DURATION="${DURATION:-10}"; WARMUP="${WARMUP:-3}"
fi
case "$FIRST" in
  mosquitto | si-mqtt) ;;
  *) echo "bench-compare: --first must be mosquitto or si-mqtt, not $FIRST" >&2; exit 2 ;;
esac
case "$TRANSPORT" in
  tcp | tls | ws) ;;
  *) echo "bench-compare: --transport must be tcp, tls or ws, not $TRANSPORT" >&2; exit 2 ;;
esac
case "$AUTH" in
  none | password | acl) ;;
  *) echo "bench-compare: --auth must be none, password or acl, not $AUTH" >&2; exit 2 ;;
esac
case "$STORAGE" in
  "" | memory | always | interval) ;;
  *) echo "bench-compare: --storage must be memory, always or interval, not $STORAGE" >&2; exit 2 ;;
esac
OUT="${OUT:-$ROOT/bench/target/compare-$TRANSPORT-$AUTH${STORAGE:+-$STORAGE}-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

# ---------------------------------------------------------------- scenarios
# name | LoadMain arguments (the broker, port, pid, label, duration and warm-up are added)
if [[ $QUICK == 1 ]]; then
  SCENARIOS=(
    "fan-in-q0|-s fan-in -q 0 -P 8 --count 200000"
    "fan-in-q1|-s fan-in -q 1 -P 8 --count 100000"
    "fan-in-q1-v311|-s fan-in -q 1 -P 8 --protocol 3.1.1 --count 50000"
    "fan-out-q0|-s fan-out -q 0 -S 100 --count 5000"
    "fan-out-q1|-s fan-out -q 1 -S 100 --count 2000"
    "fan-in-q2|-s fan-in -q 2 -P 8 --pub-session-expiry 300 --count 50000"
    "fan-out-q2|-s fan-out -q 2 -S 100 --pub-session-expiry 300 --count 1000"
    "latency-q1-10k|-s fan-in -q 1 -P 8 --rate 10000"
    "pairs-q1|-s pairs -q 1 -N 10 --count 50000"
    "p2p-q0|-s pairs -q 0 -N 50 --rate 500 --payload 64"
    "p2p-q1|-s pairs -q 1 -N 50 --rate 500 --payload 64"
    "shared-q1|-s shared -q 1 -P 8 -S 4 --count 50000"
    "wildcard-q1|-s wildcard -q 1 -P 4 -S 100 --subscriptions 10000 --count 20000"
    "conn-rate|-s conn-storm --connections 500 --connect-rate 100000 --keep-alive 60"
    "conn-storm|-s conn-storm --connections 500 --connect-rate 2000"
  )
else
  SCENARIOS=(
    "fan-in-q0|-s fan-in -q 0 -P 8"
    "fan-in-q1|-s fan-in -q 1 -P 8"
    "fan-in-q1-v311|-s fan-in -q 1 -P 8 --protocol 3.1.1"
    "fan-out-q0|-s fan-out -q 0 -S 100"
    "fan-out-q1|-s fan-out -q 1 -S 100"
    "fan-in-q2|-s fan-in -q 2 -P 8 --pub-session-expiry 300"
    "fan-out-q2|-s fan-out -q 2 -S 100 --pub-session-expiry 300"
    "latency-q1-10k|-s fan-in -q 1 -P 8 --rate 10000"
    "pairs-q1|-s pairs -q 1 -N 10"
    "p2p-q0|-s pairs -q 0 -N 1000 --rate 10000 --payload 64"
    "p2p-q1|-s pairs -q 1 -N 1000 --rate 10000 --payload 64"
    "shared-q1|-s shared -q 1 -P 8 -S 4"
    "wildcard-q1|-s wildcard -q 1 -P 4 -S 100 --subscriptions 100000"
    "conn-rate|-s conn-storm --connections 10000 --connect-rate 100000 --keep-alive 60 --warmup-connections 5000"
    "conn-storm|-s conn-storm --connections 19000 --connect-rate 5000 --drain 30"
  )
fi

# ---------------------------------------------------------------- tools and build
# JAVA, and si-mqtt's JVM options: SIMQTT_JAVA_OPTS, else a node's default
JAVA_OPTS="${SIMQTT_JAVA_OPTS:-}"
# shellcheck source=bin/node-env.sh
source "$ROOT/bin/node-env.sh"
SI_OPTS="$NODE_JAVA_OPTS"

MOSQUITTO="$(command -v mosquitto || true)"
[[ -z "$MOSQUITTO" && -x /usr/sbin/mosquitto ]] && MOSQUITTO=/usr/sbin/mosquitto
if [[ -z "$MOSQUITTO" ]]; then
  echo "bench-compare: installing mosquitto from Debian ..." >&2
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mosquitto >&2
  MOSQUITTO="$(command -v mosquitto || echo /usr/sbin/mosquitto)"
fi

# shellcheck source=bin/bench-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench-env.sh"

wait_listening() { # pid port name
  for _ in $(seq 1 300); do
    if ! kill -0 "$1" 2>/dev/null; then
      echo "bench-compare: $3 exited during start; see $OUT/$3.log" >&2; return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench-compare: $3 did not listen on 127.0.0.1:$2 within 30 s" >&2; return 1
}

pick_ports() { # sets MOSQ_PORT and SI_PORT, two different free ports
  MOSQ_PORT=$(free_port)
  SI_PORT=$(free_port)
  while [[ "$SI_PORT" == "$MOSQ_PORT" ]]; do SI_PORT=$(free_port); done
}

# what the transport and --auth add: to Mosquitto's config, to si-mqtt's settings, to every
# load run
MOSQ_TRANSPORT=""
MOSQ_AUTH="allow_anonymous true"
LOAD_EXTRA=()
SI_LISTENER=tcp
case "$TRANSPORT" in
  tls)
    bash "$ROOT/bin/cluster-certs.sh" "$OUT/certs" server >/dev/null
    # Mosquitto started as root reads its files as the user mosquitto: a throwaway key may be
    # world-readable.
    chmod 0755 "$OUT/certs"
    chmod 0644 "$OUT/certs/server.pem" "$OUT/certs/server.key"
    MOSQ_TRANSPORT="certfile $OUT/certs/server.pem
keyfile $OUT/certs/server.key"
    LOAD_EXTRA=(--ca "$OUT/certs/ca.pem")
    SI_LISTENER=tls
    export SIMQTT_MQTT__LISTENERS__TCP__ENABLED=false SIMQTT_MQTT__LISTENERS__TLS__ENABLED=true
    export SIMQTT_MQTT__TLS__CERT_FILE="$OUT/certs/server.pem"
    export SIMQTT_MQTT__TLS__KEY_FILE="$OUT/certs/server.key"
    ;;
  ws)
    # Mosquitto 2.0.11 exits ("Unable to start any listening sockets") when its only listener is
    # a websockets one: a plain listener beside it, which no client uses, lets it start.
    MOSQ_TRANSPORT="protocol websockets
listener $(free_port) 127.0.0.1"
    LOAD_EXTRA=(--ws /mqtt)
    SI_LISTENER=ws
    export SIMQTT_MQTT__LISTENERS__TCP__ENABLED=false SIMQTT_MQTT__LISTENERS__WS__ENABLED=true
    ;;
esac
SI_LISTENER_ENV="SIMQTT_MQTT__LISTENERS__${SI_LISTENER^^}"
if [[ "$AUTH" != none ]]; then
  mkdir -p "$OUT/auth"
  chmod 0755 "$OUT/auth" # Mosquitto started as root reads its files as the user mosquitto
  rm -f "$OUT/auth/passwd"
  mosquitto_passwd -c -b "$OUT/auth/passwd" bench bench-secret
  chmod 0644 "$OUT/auth/passwd"
  MOSQ_AUTH="allow_anonymous false
password_file $OUT/auth/passwd"
  export SIMQTT_MQTT__FEATURES__ALLOW_ANONYMOUS=false
  export SIMQTT_MQTT__AUTH__PASSWORD_FILE="$OUT/auth/passwd"
  LOAD_EXTRA+=(--username bench --password bench-secret)
fi
MOSQ_STORAGE="persistence false"
if [[ -n "$STORAGE" ]]; then
  LOAD_EXTRA+=(--session-expiry 300)
fi
if [[ "$STORAGE" == always || "$STORAGE" == interval ]]; then
  mkdir -p "$OUT/si-data" "$OUT/mosquitto-data"
  chmod 0777 "$OUT/mosquitto-data" # Mosquitto started as root writes as the user mosquitto
  MOSQ_STORAGE="persistence true
persistence_location $OUT/mosquitto-data/"
  export SIMQTT_MQTT__STORAGE__DATA_DIR="$OUT/si-data"
  export SIMQTT_MQTT__STORAGE__SYNC="$STORAGE"
  # the node's store counters are read after each of its runs (store_metrics)
  SI_METRICS_PORT=$(free_port)
  export SIMQTT_METRICS__PORT="$SI_METRICS_PORT"
fi
if [[ "$AUTH" == acl ]]; then
  # 1,000 rules: 700 of the user's own and 299 patterns that match none of the load's topics,
  # then the one that does (bench/<run>/...), last, so a broker that scans its rules in order
  # reads all of them for each check
  {
    echo "user bench"
    for i in $(seq 0 699); do
      case $((i % 4)) in
        0) echo "topic readwrite fleet/$i/#" ;;
        1) echo "topic read fleet/+/sensor/$i" ;;
        2) echo "topic write site/$i/+/cmd" ;;
        3) echo "topic deny fleet/$i/secret/#" ;;
      esac
    done
    for i in $(seq 0 298); do
      if (( i % 2 == 0 )); then echo "pattern readwrite devices/%c/$i/#"
      else echo "pattern read users/%u/inbox/$i"; fi
    done
    echo "pattern readwrite bench/#"
  } > "$OUT/auth/acl"
  chmod 0644 "$OUT/auth/acl"
  MOSQ_AUTH="$MOSQ_AUTH
acl_file $OUT/auth/acl"
  export SIMQTT_MQTT__AUTH__ACL_FILE="$OUT/auth/acl"
fi

pick_ports
cat > "$OUT/mosquitto.conf" <<EOF
# written by bin/bench-compare.sh
listener $MOSQ_PORT 127.0.0.1
$MOSQ_TRANSPORT
$MOSQ_AUTH
$MOSQ_STORAGE
max_queued_messages 1000000
max_queued_bytes 0
max_inflight_messages 0
max_connections -1
memory_limit 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
EOF
export "${SI_LISTENER_ENV}__HOST=127.0.0.1"
export "${SI_LISTENER_ENV}__PORT=$SI_PORT"
# like Mosquitto's config above: large queues, no small per-client subscription cap
export SIMQTT_MQTT__SESSIONS__MAX_QUEUED_MESSAGES=1000000
export SIMQTT_MQTT__LIMITS__MAX_SUBSCRIPTIONS_PER_CLIENT=100000
if [[ -x "$ROOT/bin/start-node.sh" && -f "$ROOT/peer/target/simqtt-node.jar" ]]; then
  SI_HOW="bin/start-node.sh"
else
  # the node launcher is not built here: the same core broker through the bench module
  SI_HOW="io.simqtt.bench.BrokerMain"
fi

start_brokers() { # logs are appended, one section per start
  "${PIN_BROKER[@]}" "$MOSQUITTO" -c "$OUT/mosquitto.conf" >> "$OUT/mosquitto.log" 2>&1 &
  MOSQ_PID=$!
  STARTED_PIDS+=("$MOSQ_PID")
  if [[ "$SI_HOW" == bin/start-node.sh ]]; then
    JAVA_OPTS="$SI_OPTS" "${PIN_BROKER[@]}" "$ROOT/bin/start-node.sh" >> "$OUT/si-mqtt.log" 2>&1 &
  else
    # shellcheck disable=SC2086 # options are deliberately split
    "${PIN_BROKER[@]}" "$JAVA" $SI_OPTS -cp "$CP" io.simqtt.bench.BrokerMain >> "$OUT/si-mqtt.log" 2>&1 &
  fi
  SI_PID=$!
  STARTED_PIDS+=("$SI_PID")
  wait_listening "$MOSQ_PID" "$MOSQ_PORT" mosquitto
  wait_listening "$SI_PID" "$SI_PORT" si-mqtt
}

# fresh processes, so memory freed by earlier runs does not hide the connections' memory
# (on new ports: the old ones may be held by TIME_WAIT connections)
restart_brokers() {
  stop_pid "$MOSQ_PID"
  stop_pid "$SI_PID"
  pick_ports
  sed -i "0,/^listener /s/^listener .*/listener $MOSQ_PORT 127.0.0.1/" "$OUT/mosquitto.conf"
  export "${SI_LISTENER_ENV}__PORT=$SI_PORT"
  start_brokers
  echo "restarted: mosquitto pid $MOSQ_PID port $MOSQ_PORT, si-mqtt pid $SI_PID port $SI_PORT" >&2
}

start_brokers

{
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "kernel: $(uname -r); java: $("$JAVA" -version 2>&1 | head -1)"
  echo "mosquitto: $("$MOSQUITTO" -h 2>/dev/null | head -1) pid $MOSQ_PID port $MOSQ_PORT"
  echo "si-mqtt: $SI_HOW pid $SI_PID port $SI_PORT opts $SI_OPTS"
  echo "pinning: broker ${PIN_BROKER[*]:-none}, load ${PIN_LOAD[*]:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "runs: duration ${DURATION}s, warm-up ${WARMUP}s$([[ $QUICK == 1 ]] && echo ', quick'); transport $TRANSPORT, auth $AUTH, storage ${STORAGE:-memory, sessions end with their connections}"
} | tee "$OUT/machine.txt" >&2

# ---------------------------------------------------------------- runs
FAILED=0
run_one() { # name label port pid args...
  local name="$1" label="$2" port="$3" pid="$4"; shift 4
  local line
  # shellcheck disable=SC2086 # LOAD_JAVA_OPTS is deliberately split
  line=$("${PIN_LOAD[@]}" "$JAVA" ${LOAD_JAVA_OPTS:-} -cp "$CP" io.simqtt.bench.LoadMain \
      --host 127.0.0.1 --port "$port" --broker-pid "$pid" --label "$label" \
      --duration "$DURATION" --warmup "$WARMUP" --json-only "${LOAD_EXTRA[@]}" "$@" \
      2>>"$OUT/load.log" | tail -1) || true
  wait_idle "$pid" "$label"
  if [[ "$line" != \{* ]]; then
    echo "bench-compare: $name on $label produced no result (see $OUT/load.log)" >&2
    FAILED=1
    return
  fi
  line="{\"run\":\"$name\",${line#\{}"
  echo "$line" >> "$RESULTS"
  if [[ "$line" == *'"error":'* ]]; then
    echo "bench-compare: $name on $label reported an error: $(jf "$line" error)" >&2
    FAILED=1
  fi
  if [[ "$label" == si-mqtt ]]; then store_metrics "$name"; fi
  if [[ "$name" == conn-* ]]; then
    echo "  $name $label: $(jf "$line" connections) connections, $(jf "$line" connects_per_s) connects/s, RSS $(jf "$line" rss_bytes_per_conn) B/conn, marginal $(jf "$line" rss_marginal_bytes_per_conn) B/conn, failed $(jf "$line" failed_connections)" >&2
  else
    echo "  $name $label: $(jf "$line" msgs_per_s) msgs/s p99 $(jf "$line" p99_us) us lost $(jf "$line" lost) dup $(jf "$line" dup)" >&2
  fi
}

# Durable storage on a node (bin/start-node.sh): its hold counters, cumulative, after each run,
# into store-metrics.txt (the copies of a stored publisher's QoS 2 message waiting for its id).
store_metrics() { # name
  [[ -n "${SI_METRICS_PORT:-}" && "$SI_HOW" == bin/start-node.sh ]] || return 0
  local lines
  lines=$(curl -s "http://127.0.0.1:$SI_METRICS_PORT/metrics" \
      | grep -E '^simqtt_store_(hold|commit_batches|committed_writes)' || true)
  printf '%s\n%s\n' "after $1:" "$lines" >> "$OUT/store-metrics.txt"
  echo "  $1 si-mqtt store: $(tr '\n' ' ' <<<"$lines")" >&2
}

cpu_ticks() { # utime + stime of a pid, in clock ticks
  awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# A saturating run can leave a broker busy with a backlog (queued QoS 0 for subscribers that
# are gone) after its clients left; wait until it is idle (< 5% of a core over 1 s, at most
# 60 s) so it does not spill into the next run.
wait_idle() { # pid label
  local a b
  for _ in $(seq 1 60); do
    a=$(cpu_ticks "$1"); sleep 1; b=$(cpu_ticks "$1")
    if (( (b - a) * 100 < 5 * $(getconf CLK_TCK) )); then return 0; fi
  done
  echo "bench-compare: $2 still busy 60 s after its run" >&2
}

jf() { # json-line field -> value (numbers and simple strings only)
  sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" <<<"$1" | tr -d '"'
}

# an untimed pass first, so the JVM's JIT is warm before the first measured scenario
# (Mosquitto gets the same pass); its results are not kept
# Both shapes of load, saturating (fan-in) and many clients at a low rate (pairs), before anything
# is recorded: a fresh JVM compiles the code each shape runs for its first seconds, on the broker's
# one core. After the fan-in pass alone, si-mqtt's JIT still made ~44 optimised (C2) compilations
# inside a 10 s p2p-q1 measurement; after both, ~14 (docs/BENCHMARKS.md, "The JIT in a short run").
warm_pass() {
  local secs=5 pairs=1000
  [[ $QUICK == 1 ]] && secs=1 pairs=50
  echo "== warm-up pass (fan-in and pairs, ${secs}s each at QoS 0 and 1 on each broker, not recorded)" >&2
  local target q shape
  for target in "$MOSQ_PORT" "$SI_PORT"; do
    for shape in "-s fan-in -P 8" "-s pairs -N $pairs --rate $((pairs * 10)) --payload 64"; do
      for q in 0 1; do
        # shellcheck disable=SC2086 # LOAD_JAVA_OPTS and the shape are deliberately split
        "${PIN_LOAD[@]}" "$JAVA" ${LOAD_JAVA_OPTS:-} -cp "$CP" io.simqtt.bench.LoadMain \
          --host 127.0.0.1 --port "$target" $shape -q $q --duration "$secs" --warmup 0 \
          --json-only "${LOAD_EXTRA[@]}" >/dev/null 2>>"$OUT/load.log" || true
      done
    done
  done
}
warm_pass

# conn-storm: both brokers fresh, RSS before the first connection and 1 s after the last CONNACK,
# no forced GC and no warm-up connections (whose freed memory the measured ones would reuse);
# bin/bench-idle-memory.sh is the full measurement (after a ping round, after a GC, heap by class).

i=0
order=0 # added to i: which broker goes first alternates from one scenario to the next
[[ $FIRST == si-mqtt ]] && order=1
for entry in "${SCENARIOS[@]}"; do
  name="${entry%%|*}"
  args="${entry#*|}"
  if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* ]]; then continue; fi
  if [[ "$name" == conn-storm && $i -gt 0 ]]; then restart_brokers; fi
  echo "== $name: $args" >&2
  # shellcheck disable=SC2086 # args are deliberately split
  if (( (i + order) % 2 == 0 )); then
    run_one "$name" mosquitto "$MOSQ_PORT" "$MOSQ_PID" $args
    run_one "$name" si-mqtt "$SI_PORT" "$SI_PID" $args
  else
    run_one "$name" si-mqtt "$SI_PORT" "$SI_PID" $args
    run_one "$name" mosquitto "$MOSQ_PORT" "$MOSQ_PID" $args
  fi
  i=$((i + 1))
done

# ---------------------------------------------------------------- table
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 <= 0 || a + 0 < 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { awk -v v="$1" 'BEGIN { if (v == "" || v + 0 < 0) print "-"; else if (v + 0 >= 100) printf "%.0f", v; else printf "%.2f", v }'; }
{
  printf '%-16s %-28s %14s %14s %9s\n' scenario metric mosquitto si-mqtt si/mosq
  for entry in "${SCENARIOS[@]}"; do
    name="${entry%%|*}"
    m=$(grep "\"run\":\"$name\",\"scenario\":[^,]*,\"broker\":\"mosquitto\"" "$RESULTS" | tail -1 || true)
    s=$(grep "\"run\":\"$name\",\"scenario\":[^,]*,\"broker\":\"si-mqtt\"" "$RESULTS" | tail -1 || true)
    [[ -z "$m$s" ]] && continue
    if [[ "$name" == conn-rate ]]; then
      metrics=(connections connects_per_s broker_cpu_us_per_connect failed_connections)
    elif [[ "$name" == conn-storm ]]; then
      metrics=(connections connects_per_s rss_bytes_per_conn rss_marginal_bytes_per_conn failed_connections)
    else
      metrics=(msgs_per_s p50_us p99_us p999_us broker_cpu_us_per_msg lost dup)
    fi
    for k in "${metrics[@]}"; do
      mv=$(jf "$m" "$k"); sv=$(jf "$s" "$k")
      printf '%-16s %-28s %14s %14s %9s\n' "$name" "$k" "$(fmt "$mv")" "$(fmt "$sv")" "$(ratio "$sv" "$mv")"
    done
  done
} | tee "$OUT/table.txt"
echo "results: $RESULTS; table: $OUT/table.txt" >&2
exit "$FAILED"
