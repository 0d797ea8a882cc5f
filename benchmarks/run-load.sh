#!/usr/bin/env bash
# HTTP load run of the OMS against a throwaway PostgreSQL, with a pgbench hot-row baseline on the same server.
#
#   benchmarks/run-load.sh [results.md]      (default: docs/load-results.md)
#
# Self-contained and loopback only: builds Release, starts its own PostgreSQL from /usr/lib/postgresql/*/bin on a
# free port with its data under /tmp (deleted on exit), starts the API co-hosted with a silo on 127.0.0.1, seeds
# through the API, runs the scenarios, stops everything and writes one markdown report. Bounded: every step has a
# timeout and the whole run stays under 10 minutes on a 2-core machine.
#
# Knobs (environment): LOAD_DURATION (20 s), LOAD_WARMUP (5 s), LOAD_CONNECTIONS (64), LOAD_CATALOGUE (10000 SKUs;
# the tool's own default of 100000 takes far longer to seed than this script's budget allows), LOAD_LOCATIONS (20),
# LOAD_TIME_LIMIT (590 s: a scenario that could not finish before it is skipped and reported as such),
# LOAD_SCENARIOS (all; a space-separated subset of health availability hold-hot reserve-hot hold-scarce hold-spread
# cnc-options checkout-3line, for a quicker run while working on one path).
#
# Authentication is on, as in production (issue #11): the API gets a random bootstrap admin key for this run only,
# which the load tool reads from OMS_API_KEY (never from its command line) for seeding, stocking and read-back; each
# scenario's measured requests carry a storefront key the tool creates through the API (--mint-storefront-key).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-docs/load-results.md}
# A relative path means relative to where the caller stands, as with any command-line file argument.
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

DURATION=${LOAD_DURATION:-20}
WARMUP=${LOAD_WARMUP:-5}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
CATALOGUE=${LOAD_CATALOGUE:-10000}
LOCATIONS=${LOAD_LOCATIONS:-20}
SCARCE_STOCK=500
SCARCE_REQUESTS=2000
PGBENCH_SECONDS=20
TIME_LIMIT=${LOAD_TIME_LIMIT:-590}
SEED_TIMEOUT=300
SCENARIO_TIMEOUT=$((WARMUP + DURATION + 90))

log() { printf '[run-load %3ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Checked before the fixed steps (pgbench, API start, seeding), which the scenarios need; the scenarios
# themselves are skipped rather than started when they could not finish in time (see run_scenario).
check_budget() {
  if ((SECONDS + $2 > TIME_LIMIT)); then die "$1 could not finish within the ${TIME_LIMIT}s budget"; fi
}

# A port nothing listens on right now. Not atomic (someone may take it before we bind), but the window is short
# and every server started here fails loudly if its port is taken.
free_port() {
  local preferred=${1:-} port
  for port in $preferred $(shuf -i 20000-59999 -n 100); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found"
}

# utime+stime of the given processes, plus the CPU of children they have reaped (cutime+cstime), in clock ticks.
# The postmaster reaps its backends, so its reaped-children figure covers connections that came and went.
cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    if [[ -r /proc/$pid/stat ]]; then
      # Fields after the ")" that closes the command name: utime is the 12th, stime 13th, cutime 14th, cstime 15th.
      fields=$(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null || true)
      if [[ -n $fields ]]; then
        total=$((total + $(awk '{print $12 + $13 + $14 + $15}' <<<"$fields")))
      fi
    fi
  done
  echo "$total"
}

# Busy ticks of the whole machine (every core), from the first line of /proc/stat.
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }

postgres_pids() {
  local pm
  pm=$(head -1 "$PGDATA/postmaster.pid" 2>/dev/null || true)
  [[ -n $pm ]] || return 0
  echo "$pm"
  pgrep -P "$pm" || true
}

# measure_begin / measure_end LABEL: one row of the CPU table for whatever ran in between. The load generator and
# pgbench are children of this shell, so what they used shows in this shell's reaped-children figure; "other"
# is everything else on the machine (other people's builds and tests, the kernel), so it shows how clean a run was.
measure_begin() {
  M_API=$(cpu_ticks "${API_PID:-0}"); M_PG=$(cpu_ticks $(postgres_pids)); M_SELF=$(cpu_ticks $$)
  M_ALL=$(machine_ticks); M_T=$(date +%s.%N)
}
measure_end() {
  local api pg self all t
  api=$(cpu_ticks "${API_PID:-0}"); pg=$(cpu_ticks $(postgres_pids)); self=$(cpu_ticks $$); all=$(machine_ticks); t=$(date +%s.%N)
  CPU_ROWS+=("$(awk -v l="$1" -v a="$((api - M_API))" -v p="$((pg - M_PG))" -v g="$((self - M_SELF))" -v m="$((all - M_ALL))" \
    -v s="$M_T" -v e="$t" -v hz="$CLK_TCK" \
    'BEGIN{w=e-s; c=100/hz/w; o=m-a-p-g; if (o<0) o=0; printf "| %s | %.0f | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% |", l, w, a*c, p*c, g*c, o*c, m*c}')")
}

# 256 random bits, for this run's API only. Exported for the load tool; the API gets it in its own environment.
BOOTSTRAP_KEY="bench-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export OMS_API_KEY=$BOOTSTRAP_KEY

CLK_TCK=$(getconf CLK_TCK)
CPU_ROWS=()
API_PID=""
PGROOT=""
PGDATA=""
RUNAS=()
WORK=$(mktemp -d /tmp/oms-load.XXXXXX)

cleanup() {
  local rc=$?
  set +e
  if [[ -n $API_PID ]] && kill -0 "$API_PID" 2>/dev/null; then
    kill -TERM "$API_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$API_PID" 2>/dev/null
    wait "$API_PID" 2>/dev/null
  fi
  if [[ -n $PGROOT && -f $PGROOT/data/postmaster.pid ]]; then
    # Immediate: the data is deleted next, so a clean shutdown checkpoint would be wasted time.
    "${RUNAS[@]}" "$PGBIN/pg_ctl" stop -D "$PGROOT/data" -m immediate -w -t 20 >/dev/null 2>&1
  fi
  [[ -n $PGROOT ]] && rm -rf "$PGROOT"
  if ((rc != 0)) && [[ -f $WORK/api.log ]]; then
    log "API log tail ($WORK/api.log is deleted on exit):"
    tail -20 "$WORK/api.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$ROOT"

# ---------------------------------------------------------------------------------------------------------- build
log "building Release (API and load tool)"
timeout 300 dotnet build -c Release -nologo -v q src/Api/Oms.Api.csproj >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; die "API build failed"; }
timeout 300 dotnet build -c Release -nologo -v q benchmarks/Oms.LoadTest/Oms.LoadTest.csproj >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; die "load tool build failed"; }
API_DIR="$ROOT/src/Api/bin/Release/net10.0"
TOOL=(dotnet "$ROOT/benchmarks/Oms.LoadTest/bin/Release/net10.0/Oms.LoadTest.dll")

# ----------------------------------------------------------------------------------------------------- PostgreSQL
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[[ -n $PGBIN && -x $PGBIN/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
if (($(id -u) == 0)); then
  # initdb and postgres refuse to run as root; the Debian package's service account runs them instead.
  id -u postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (the postgresql package creates it)"
  RUNAS=(runuser -u postgres --)
fi
# Created by the account that runs the server, so that it owns its data and socket directory.
PGROOT=$("${RUNAS[@]}" mktemp -d /tmp/oms-load-pg.XXXXXX)
PGDATA="$PGROOT/data"
PGPORT=$(free_port)
log "starting PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT (data in $PGROOT)"
(cd / && timeout 120 "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C -N >"$WORK/initdb.log" 2>&1) \
  || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
# Durability settings are left at their defaults (fsync and synchronous_commit on): both the API and pgbench pay
# for a flushed commit, as in production. Connections: 64 pgbench clients plus the API's pool of 30.
(cd / && timeout 60 "${RUNAS[@]}" "$PGBIN/pg_ctl" start -D "$PGDATA" -l "$PGROOT/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGROOT -c max_connections=200" >/dev/null) \
  || { "${RUNAS[@]}" tail -20 "$PGROOT/server.log" >&2 || true; die "PostgreSQL did not start"; }
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench' -c 'CREATE DATABASE oms'
PG_VERSION=$("${PSQL[@]}" -d postgres -At -c 'SHOW server_version')
PG_SETTINGS=$("${PSQL[@]}" -d postgres -At -F ' = ' -c "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','max_connections','wal_level') ORDER BY name")

# -------------------------------------------------------------------------------------------- pgbench hot row
check_budget "pgbench" $((PGBENCH_SECONDS + 10))
log "pgbench hot-row baseline: -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS"
"${PSQL[@]}" -d bench -c 'CREATE TABLE stock(id int PRIMARY KEY, available int)' -c 'INSERT INTO stock VALUES (1, 100000000)'
echo 'UPDATE stock SET available = available - 1 WHERE id = 1 AND available >= 1;' >"$WORK/hot-row.sql"
PGBENCH_CMD="pgbench -n -h 127.0.0.1 -p $PGPORT -U postgres -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS -f hot-row.sql bench"
measure_begin
timeout $((PGBENCH_SECONDS + 60)) "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U postgres \
  -c "$CONNECTIONS" -j 2 -T "$PGBENCH_SECONDS" -f "$WORK/hot-row.sql" bench >"$WORK/pgbench.txt" 2>&1 \
  || { cat "$WORK/pgbench.txt" >&2; die "pgbench failed"; }
measure_end "pgbench hot row, -c $CONNECTIONS"
PGBENCH_TPS=$(sed -nE 's/^tps = ([0-9]+(\.[0-9])?).* \(without initial connection time\).*/\1/p' "$WORK/pgbench.txt")
PGBENCH_LAT=$(sed -nE 's/^latency average = ([0-9.]+ ms).*/\1/p' "$WORK/pgbench.txt")
[[ -n $PGBENCH_TPS ]] || { cat "$WORK/pgbench.txt" >&2; die "could not read tps from pgbench"; }
log "pgbench: $PGBENCH_TPS tps, latency average $PGBENCH_LAT"

# ---------------------------------------------------------------------------------------------------------- API
check_budget "API start" 60
API_PORT=$(free_port 5080)
SILO_PORT=$(free_port)
GATEWAY_PORT=$(free_port)
URL="http://127.0.0.1:$API_PORT"
CONNECTION_STRING="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=oms"
API_CMD="ConnectionStrings__Oms=\"$CONNECTION_STRING\" Oms__Security__BootstrapAdminKey=<random per run> dotnet src/Api/bin/Release/net10.0/Oms.Api.dll --urls $URL --Orleans:SiloPort=$SILO_PORT --Orleans:GatewayPort=$GATEWAY_PORT --Orleans:AdvertisedIPAddress=127.0.0.1"
log "starting the API (co-hosted silo) on $URL"
# Started from its output directory, which is its content root, so that its appsettings.json (log levels) applies.
(cd "$API_DIR" && ConnectionStrings__Oms="$CONNECTION_STRING" Oms__Security__BootstrapAdminKey="$BOOTSTRAP_KEY" exec dotnet Oms.Api.dll --urls "$URL" \
  --Orleans:SiloPort="$SILO_PORT" --Orleans:GatewayPort="$GATEWAY_PORT" --Orleans:AdvertisedIPAddress=127.0.0.1) \
  >"$WORK/api.log" 2>&1 &
API_PID=$!
ready=""
for _ in $(seq 1 120); do
  kill -0 "$API_PID" 2>/dev/null || die "the API exited during start-up"
  if curl -sf -m 2 "$URL/health/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[[ -n $ready ]] || die "the API was not ready within 60 s"
log "API ready after ${SECONDS}s"

# --------------------------------------------------------------------------------------------------------- seed
check_budget "seeding" 60
SEED_CMD="OMS_API_KEY=<bootstrap key> dotnet run -c Release --project benchmarks/Oms.LoadTest -- --url $URL --seed --catalogue $CATALOGUE --locations $LOCATIONS"
log "seeding: $LOCATIONS locations, $CATALOGUE SKUs at each"
measure_begin
timeout "$SEED_TIMEOUT" "${TOOL[@]}" --url "$URL" --seed --catalogue "$CATALOGUE" --locations "$LOCATIONS" | tee "$WORK/seed.log" >&2 \
  || die "seeding failed"
measure_end "seeding $CATALOGUE SKUs × $LOCATIONS locations"
SEED_LINE=$(grep -E '^seeded catalogue' "$WORK/seed.log" | tail -1)

# ---------------------------------------------------------------------------------------------------- scenarios
TABLE="$WORK/table.md"
: >"$TABLE"
COMMANDS=()
INCORRECT=0
OUT_OF_TIME=()

# run_scenario LABEL ARGS...: runs the tool once, appends its row to the table, records CPU use, and leaves the
# tool's result line in RESULT for the caller to pick figures from (not printed: a $(...) subshell would lose
# the arrays this function appends to).
RESULT=""
SCENARIOS=" ${LOAD_SCENARIOS:-health availability hold-hot reserve-hot hold-scarce hold-spread cnc-options checkout-3line} "
wanted() { [[ $SCENARIOS == *" $1 "* ]]; }
run_scenario() {
  local label=$1; shift
  local args=(--url "$URL" --catalogue "$CATALOGUE" --locations "$LOCATIONS" --mint-storefront-key "$@")
  RESULT=""
  # Warm-up, run, and about 25 s for start-up, stocking and read-back.
  if ((SECONDS + WARMUP + DURATION + 25 > TIME_LIMIT)); then
    log "skipping $label: it could not finish within the ${TIME_LIMIT}s budget"
    echo "| $label | | | | | | | | | | | | skipped: it could not finish within the script's ${TIME_LIMIT} s budget |" >>"$TABLE"
    OUT_OF_TIME+=("$label")
    return
  fi
  COMMANDS+=("OMS_API_KEY=<bootstrap key> dotnet run -c Release --project benchmarks/Oms.LoadTest -- ${args[*]}")
  log "$label: $*"
  local rc=0 limit=$((TIME_LIMIT - SECONDS + 10))
  ((limit < SCENARIO_TIMEOUT)) || limit=$SCENARIO_TIMEOUT
  measure_begin
  timeout "$limit" "${TOOL[@]}" "${args[@]}" --markdown "$TABLE" >"$WORK/run.log" 2>&1 || rc=$?
  measure_end "$label"
  cat "$WORK/run.log" >&2
  if ((rc == 2)); then
    INCORRECT=1
    log "$label: WRONG ANSWERS (oversell or an inconsistent ledger; the tool exited 2)"
  elif ((rc != 0)); then
    die "$label failed (exit $rc)"
  fi
  kill -0 "$API_PID" 2>/dev/null || die "the API died during $label"
  RESULT=$(grep -E ' model="| skipped: ' "$WORK/run.log" | tail -1 || true)
  [[ -n $RESULT ]] || die "$label printed no result line"
}

field() { sed -nE "s/.* $1=([0-9.]+).*/\\1/p" <<<"$2"; }

# ratio A B DIGITS: A/B, or n/a when either figure is missing (a skipped scenario).
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN{printf "%.*f", d, a/b}'; else echo "n/a"; fi; }

COMMON=(--duration "$DURATION" --warmup "$WARMUP")
HEALTH_RPS="" AVAIL_RPS="" HOT_RPS="" SCARCE_RESULT=""
if wanted health; then
  run_scenario "health, closed $CONNECTIONS" --scenario health --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  HEALTH_RPS=$(field rps "$RESULT")
fi
if wanted availability; then
  run_scenario "availability, closed $CONNECTIONS" --scenario availability --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  AVAIL_RPS=$(field rps "$RESULT")
  HALF_RATE=$(awk -v r="${AVAIL_RPS:-0}" 'BEGIN{printf "%d", r/2}')
  if ((HALF_RATE >= 1)); then
    run_scenario "availability, open at 50%" --scenario availability --rate "$HALF_RATE" --concurrency-cap 512 "${COMMON[@]}"
  else
    log "no availability throughput to take half of; the open-model run is left out"
  fi
fi
if wanted hold-hot; then
  run_scenario "hold-hot, closed $CONNECTIONS" --scenario hold-hot --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  HOT_RPS=$(field rps "$RESULT")
fi
if wanted reserve-hot; then
  run_scenario "reserve-hot, closed $CONNECTIONS" --scenario reserve-hot --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi
if wanted hold-scarce; then
  run_scenario "hold-hot scarce" --scenario hold-hot --rate 0 --connections "$CONNECTIONS" --stock "$SCARCE_STOCK" \
    --requests "$SCARCE_REQUESTS" --warmup 0 --duration "$DURATION"
  SCARCE_RESULT=$RESULT
fi
if wanted hold-spread; then
  run_scenario "hold-spread, closed $CONNECTIONS" --scenario hold-spread --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi
if wanted cnc-options; then
  run_scenario "cnc-options, closed $CONNECTIONS" --scenario cnc-options --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi
if wanted checkout-3line; then
  run_scenario "checkout-3line, closed $CONNECTIONS" --scenario checkout-3line --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi

# ------------------------------------------------------------------------------------------------------ report
log "stopping the API and PostgreSQL"
API_ERRORS=$(grep -cE '^(fail|crit):' "$WORK/api.log" || true)
API_WARNINGS=$(grep -cE '^warn:' "$WORK/api.log" || true)
# The category line and the message under it, for the first few; the log itself is deleted with the work directory.
API_PROBLEMS=$(grep -A1 -E '^(warn|fail|crit):' "$WORK/api.log" | grep -v '^--$' | head -12 || true)
kill -TERM "$API_PID" 2>/dev/null || true
for _ in $(seq 1 30); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.5; done
HOT_RATIO=$(ratio "$HOT_RPS" "$PGBENCH_TPS" 4)
AVAIL_RATIO=$(ratio "$AVAIL_RPS" "$HEALTH_RPS" 3)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | { grep -v '^??' || true; } | wc -l)

mkdir -p "$(dirname "$OUT")"
{
  echo "# HTTP load results"
  echo
  echo "Written by \`benchmarks/run-load.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$COMMIT\`$( ((DIRTY > 0)) && echo " with $DIRTY locally modified files")."
  echo
  echo "**Everything shares one 2-core machine**: the load generator, the API with its co-hosted Orleans silo, and"
  echo "PostgreSQL compete for the same cores (see the CPU table), so these figures are a floor for the API, not its"
  echo "capacity, and the generator's own CPU use limits what it can offer. Compare them as ratios within this run."
  echo
  echo "**Authentication is on** (issue #11): every /api/v1 request carries \`Authorization: Bearer\`. Seeding and read-back"
  echo "use a random bootstrap admin key set for this run; each scenario's measured requests use a storefront key the"
  echo "load tool created for it through \`POST /api/v1/api-keys\`. The health scenario is outside /api and needs none."
  echo
  echo "## Results"
  echo
  cat "$TABLE"
  echo
  echo "- pgbench hot-row baseline (\`UPDATE stock SET available = available - 1 WHERE id = 1 AND available >= 1;\`,"
  echo "  -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS, same PostgreSQL server): **$PGBENCH_TPS tps**, latency average $PGBENCH_LAT."
  echo "- **Hot-SKU holds / pgbench hot row: $HOT_RATIO** ($HOT_RPS holds/s vs $PGBENCH_TPS tps, both at $CONNECTIONS connections)."
  echo "- **Availability / health: $AVAIL_RATIO** ($AVAIL_RPS vs $HEALTH_RPS req/s, closed loop, $CONNECTIONS connections)."
  echo "- Scarce hot SKU ($SCARCE_STOCK on hand, $SCARCE_REQUESTS requests): held $(field held "$SCARCE_RESULT"), refused $(field refused-all "$SCARCE_RESULT"), oversell $(field oversell "$SCARCE_RESULT"), server reserved $(field server-reserved "$SCARCE_RESULT")."
  echo "- Seeding: $SEED_LINE"
  echo "- API log: $API_ERRORS error and $API_WARNINGS warning entries."
  if ((INCORRECT)); then echo "- **WRONG ANSWERS**: at least one run oversold or left a ledger that does not replay to its position."; fi
  if ((${#OUT_OF_TIME[@]} > 0)); then
    skipped=$(printf '%s; ' "${OUT_OF_TIME[@]}")
    echo "- Skipped to stay within the ${TIME_LIMIT} s budget: ${skipped%; }."
  fi
  if [[ -n $API_PROBLEMS ]]; then
    echo
    echo "First warnings and errors in the API log:"
    echo
    echo '```'
    echo "$API_PROBLEMS"
    echo '```'
  fi
  echo
  echo "How to read it: latency is in milliseconds. In the open model it counts from when each request was due, not"
  echo "when it went out (coordinated omission corrected), and a request due while the in-flight cap is reached is"
  echo "dropped and counted as an error; the generator's own lateness in sending is shown as its send lag. In the"
  echo "closed model ($CONNECTIONS connections, each sending its next request when the previous one answers, like"
  echo "pgbench -c $CONNECTIONS) it counts from the send. Holds are one unit under a new id with a 1-hour TTL (hold-hot,"
  echo "hold-spread: placed directly on the stock item; reserve-hot: a one-line reservation),"
  echo "so every held unit stays held for the whole run. Oversell counts units acknowledged (201) beyond what was on"
  echo "hand, warm-up included; the server's own reserved figures are read back and checked too, and the server"
  echo "replays the ledger of the hot SKU and of 20 spread positions and compares it with the live position."
  echo
  echo "## CPU during each step"
  echo
  echo "Percent of one core, averaged over each whole step (for a scenario: the tool's start-up, stocking,"
  echo "run and read-back). The machine has $(nproc) cores, so the whole machine tops out at $(($(nproc) * 100))%. The load"
  echo "generator column is pgbench itself on the pgbench row. \"Other\" is everything else on the machine: other"
  echo "people's builds and test runs on the same cores show up there."
  echo
  echo "| Step | Wall (s) | API + silo | PostgreSQL | Load generator | Other | Whole machine |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${CPU_ROWS[@]}"
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "benchmarks/run-load.sh${1:+ $1}"
  echo "# PostgreSQL $PG_VERSION, throwaway: initdb -A trust -E UTF8 --locale=C; postgres -p $PGPORT -c listen_addresses=127.0.0.1 -c max_connections=200"
  echo "$PGBENCH_CMD"
  echo "$API_CMD"
  echo "$SEED_CMD"
  printf '%s\n' "${COMMANDS[@]}"
  echo '```'
  echo
  echo "The script runs the built \`Oms.LoadTest.dll\` directly rather than through \`dotnet run\`, with the same arguments."
  echo
  echo "## Machine"
  echo
  echo '```'
  echo "nproc: $(nproc)"
  lscpu | grep 'Model name' || true
  free -h | head -2
  echo "dotnet --version: $(dotnet --version)"
  echo "PostgreSQL: $PG_VERSION"
  echo "$PG_SETTINGS"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo '```'
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"

echo
cat "$TABLE"
echo
echo "pgbench hot row: $PGBENCH_TPS tps; hot holds / pgbench = $HOT_RATIO; availability / health = $AVAIL_RATIO"
echo "report: $OUT"
((INCORRECT == 0)) || { log "wrong answers detected"; exit 2; }
