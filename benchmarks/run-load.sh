#!/usr/bin/env bash
# HTTP load run of the OMS against a throwaway PostgreSQL, with pgbench baselines on the same server.
#
#   benchmarks/run-load.sh [results.md]      (default: docs/load-results.md)
#   LOAD_DOCS=docs/benchmarks.md benchmarks/run-load.sh /tmp/full.md   (also puts the report in that file's "HTTP load" section)
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
# reserve-spread reserve-3line cnc-options order-hot checkout-3line fulfilment-events, for a quicker run while
# working on one path), LOAD_ROW_DURATION (10 s) and LOAD_ROW_WARMUP (3 s): the measured and warm-up seconds of
# reserve-spread, reserve-3line, order-hot and fulfilment-events (never more than LOAD_DURATION and LOAD_WARMUP),
# shorter than the others so that every row fits the budget; LOAD_FULFILMENT_ORDERS (8000): orders
# fulfilment-events places before it measures (two events each; its run ends early if they are all reported),
# LOAD_SPREAD_POSITIONS (20000: reserve-spread's positions, 1,000 SKUs × 20 locations) and LOAD_BASKET_SKUS (10000:
# reserve-3line's SKUs), smaller only for a smoke run on a busy machine (the issue's rows need the defaults),
# LOAD_DOCS (unset): a markdown file whose "## HTTP load" section the report replaces (docs/benchmarks.md).
# LOAD_PG_STATEMENTS (unset): 1 loads pg_stat_statements and reports each scenario's top statements by time.
# LOAD_SILOS (unset: one process, the API co-hosting its silo): that many separate silo processes behind one
# stateless API node (--Oms:Hosting=client), started with scripts/cluster.sh on this run's PostgreSQL, clustering
# on it too; the "API + silo" CPU column then sums every node. The same scenarios, so a run with and one without
# give the cost of the hops (API to gateway, silo to silo) side by side.
# LOAD_KEEP_LOG (unset): 1 keeps the API's log (every node's, for a cluster) beside the report, as REPORT.api.log.
# LOAD_CPU_TRACE (unset): scenario names whose API+silo CPU is sampled with dotnet-trace (DOTNET_TRACE, else on
# PATH: dotnet tool install -g dotnet-trace) for LOAD_CPU_TRACE_SECONDS (10) near the end of the measured period,
# and reported as the frames with the most self time and the project's frames with the most inclusive time.
#
# Three pgbench baselines run on the same server before the API starts, -c LOAD_CONNECTIONS -j 2 for 20 s each:
# the hot row (one guarded UPDATE of one row), reserve-3line (3 guarded UPDATEs of random rows of a 10,000-row
# table and one reservation INSERT, one transaction) and checkout-3line (an order INSERT, the same 3 UPDATEs and an
# outbox INSERT, one transaction). The report opens with issue #18's table: every row's unique acknowledged
# operations per second (201s or 200s, not requests), the baseline it is held to, the ratio, p99, pass or miss,
# and the commit.
#
# Time: about 80 s of build, PostgreSQL, API start-up and pgbench, 90 s of seeding, then 25 to 35 s per scenario at
# the default durations (fulfilment-events also places its orders first, about 15 s): about 9 minutes in all.
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
ROW_DURATION=${LOAD_ROW_DURATION:-10}
ROW_WARMUP=${LOAD_ROW_WARMUP:-3}
((ROW_DURATION <= DURATION)) || ROW_DURATION=$DURATION
((ROW_WARMUP <= WARMUP)) || ROW_WARMUP=$WARMUP
FULFILMENT_ORDERS=${LOAD_FULFILMENT_ORDERS:-8000}
SPREAD_POSITIONS=${LOAD_SPREAD_POSITIONS:-20000}
BASKET_SKUS=${LOAD_BASKET_SKUS:-10000}
DOCS=${LOAD_DOCS:-}
case "$DOCS" in /* | "") ;; *) DOCS="$PWD/$DOCS" ;; esac
TIME_LIMIT=${LOAD_TIME_LIMIT:-590}
SILOS=${LOAD_SILOS:-}
[[ -z $SILOS || $SILOS =~ ^[1-9]$ ]] || { echo "LOAD_SILOS must be 1 to 9, not '$SILOS'" >&2; exit 1; }
SEED_TIMEOUT=300

log() { printf '[run-load %3ds] %s\n' "$SECONDS" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Checked before the fixed steps (pgbench, API start, seeding), which the scenarios need; the scenarios
# themselves are skipped rather than started when they could not finish in time (see run_scenario).
check_budget() {
  if ((SECONDS + $2 > TIME_LIMIT)); then die "$1 could not finish within the ${TIME_LIMIT}s budget"; fi
}

# A port nothing listens on right now. Not atomic (someone may take it before we bind), but the window is short
# and every server started here fails loudly if its port is taken.
# Drawn below the kernel's ephemeral range, where no outgoing connection can be holding the port.
free_port() {
  local preferred=${1:-} port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for port in $preferred $(shuf -i 20000-$((low - 1)) -n 100); do
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
  M_API=$(cpu_ticks "${APP_PIDS[@]:-0}"); M_PG=$(cpu_ticks $(postgres_pids)); M_SELF=$(cpu_ticks $$)
  M_ALL=$(machine_ticks); M_T=$(date +%s.%N)
}
measure_end() {
  local api pg self all t
  api=$(cpu_ticks "${APP_PIDS[@]:-0}"); pg=$(cpu_ticks $(postgres_pids)); self=$(cpu_ticks $$); all=$(machine_ticks); t=$(date +%s.%N)
  CPU_ROWS+=("$(awk -v l="$1" -v a="$((api - M_API))" -v p="$((pg - M_PG))" -v g="$((self - M_SELF))" -v m="$((all - M_ALL))" \
    -v s="$M_T" -v e="$t" -v hz="$CLK_TCK" \
    'BEGIN{w=e-s; c=100/hz/w; o=m-a-p-g; if (o<0) o=0; printf "| %s | %.0f | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% |", l, w, a*c, p*c, g*c, o*c, m*c}')")
}

# The storefront key's rate limit (20,000/s by default) is raised for the run: the figures are the API's capacity,
# and on a fast day availability reads reached the limit and measured it instead (563,392 answers of 429). The
# limiter still runs on every request, so its cost stays in the figures. Inherited by a cluster's nodes too.
export Oms__Security__RateLimits__storefront__PermitsPerSecond=10000000 Oms__Security__RateLimits__storefront__Burst=10000000

# 256 random bits, for this run's API only. Exported for the load tool; the API gets it in its own environment.
BOOTSTRAP_KEY="bench-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
export OMS_API_KEY=$BOOTSTRAP_KEY

CLK_TCK=$(getconf CLK_TCK)
CPU_ROWS=()
API_PID=""
# Every process of the OMS under test: the API alone, or the API node and its silos.
APP_PIDS=()
PGROOT=""
PGDATA=""
RUNAS=()
WORK=$(mktemp -d /tmp/oms-load.XXXXXX)

# A cluster's nodes log apart; the report and the kept log read them as one.
gather_cluster_logs() { [[ -z $SILOS ]] || cat "$WORK/cluster/logs/"{api,silo}-*.log >"$WORK/api.log" 2>/dev/null || true; }

cleanup() {
  local rc=$?
  set +e
  if [[ -n $SILOS && -f $WORK/cluster/processes ]]; then
    OMS_CLUSTER_DIR="$WORK/cluster" "$ROOT/scripts/cluster.sh" down >/dev/null 2>&1
    gather_cluster_logs
  fi
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
  [[ -n ${LOAD_KEEP_LOG:-} && -f $WORK/api.log ]] && cp "$WORK/api.log" "$OUT.api.log"
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
if [[ -n $SILOS ]]; then
  timeout 300 dotnet build -c Release -nologo -v q src/Silo/Oms.Silo.csproj >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log" >&2; die "silo build failed"; }
fi
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
PG_STATEMENTS=${LOAD_PG_STATEMENTS:-}
PG_EXTRA=""
[[ -z $PG_STATEMENTS ]] || PG_EXTRA=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
(cd / && timeout 60 "${RUNAS[@]}" "$PGBIN/pg_ctl" start -D "$PGDATA" -l "$PGROOT/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PGROOT -c max_connections=200$PG_EXTRA" >/dev/null) \
  || { "${RUNAS[@]}" tail -20 "$PGROOT/server.log" >&2 || true; die "PostgreSQL did not start"; }
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres)
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE bench' -c 'CREATE DATABASE oms'
[[ -z $PG_STATEMENTS ]] || "${PSQL[@]}" -d oms -c 'CREATE EXTENSION pg_stat_statements'

# LOAD_PG_STATEMENTS=1: what each OMS scenario (its preparation included) spent in PostgreSQL, statement by
# statement, from pg_stat_statements reset at the scenario's start: where a path's database time goes.
STATEMENTS="$WORK/statements.md"
: >"$STATEMENTS"
statements_reset() { [[ -z $PG_STATEMENTS ]] || "${PSQL[@]}" -d oms -At -c 'SELECT pg_stat_statements_reset()' >/dev/null; }
statements_dump() {
  [[ -n $PG_STATEMENTS ]] || return 0
  {
    echo
    echo "**$1**: the 12 statements with the most execution time in the \`oms\` database."
    echo
    echo "| Calls | Total ms | Mean ms | Rows | Statement |"
    echo "| ---: | ---: | ---: | ---: | --- |"
    "${PSQL[@]}" -d oms -At -F '|' -c "
      SELECT calls, round(total_exec_time)::bigint, round(mean_exec_time::numeric, 2), rows,
             replace(left(regexp_replace(query, '\s+', ' ', 'g'), 110), '|', '\|')
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'oms')
      ORDER BY total_exec_time DESC LIMIT 12" | sed -E 's/^/| /; s/$/ |/; s/([^\\])\|/\1 | /g'
  } >>"$STATEMENTS"
}
PG_VERSION=$("${PSQL[@]}" -d postgres -At -c 'SHOW server_version')
PG_SETTINGS=$("${PSQL[@]}" -d postgres -At -F ' = ' -c "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','max_connections','wal_level') ORDER BY name")

# ------------------------------------------------------------------------------------------------- pgbench
# Each baseline is what the same work costs as plain SQL on the same server: the 3-line scripts touch three random
# rows of 10,000 (updated in ascending id order, as a careful application would, so that no two transactions
# deadlock) with every statement of one checkout or reservation in one transaction.
"${PSQL[@]}" -d bench \
  -c 'CREATE TABLE stock(id int PRIMARY KEY, available int)' -c 'INSERT INTO stock VALUES (1, 100000000)' \
  -c 'CREATE TABLE stock_spread(id int PRIMARY KEY, available int)' \
  -c 'INSERT INTO stock_spread SELECT g, 100000000 FROM generate_series(1, 10000) g' \
  -c 'CREATE TABLE reservation(id bigserial PRIMARY KEY, first_id int NOT NULL, lines int NOT NULL, expires_at timestamptz NOT NULL)' \
  -c 'CREATE TABLE orders(id bigserial PRIMARY KEY, customer int NOT NULL, lines int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())' \
  -c 'CREATE TABLE outbox(id bigserial PRIMARY KEY, order_id bigint NOT NULL, type text NOT NULL, payload jsonb NOT NULL)' \
  -c 'VACUUM ANALYZE'
echo 'UPDATE stock SET available = available - 1 WHERE id = 1 AND available >= 1;' >"$WORK/hot-row.sql"
THREE_ROWS='\set x random(1, 10000)
\set y random(1, 10000)
\set z random(1, 10000)
\set lo least(:x, :y, :z)
\set hi greatest(:x, :y, :z)
\set mid :x + :y + :z - :lo - :hi'
GUARDED_UPDATES='UPDATE stock_spread SET available = available - 1 WHERE id = :lo AND available >= 1;
UPDATE stock_spread SET available = available - 1 WHERE id = :mid AND available >= 1;
UPDATE stock_spread SET available = available - 1 WHERE id = :hi AND available >= 1;'
cat >"$WORK/reserve-3line.sql" <<SQL
$THREE_ROWS
BEGIN;
$GUARDED_UPDATES
INSERT INTO reservation(first_id, lines, expires_at) VALUES (:lo, 3, now() + interval '1 hour');
COMMIT;
SQL
cat >"$WORK/checkout-3line.sql" <<SQL
$THREE_ROWS
\set customer random(1, 10000)
BEGIN;
INSERT INTO orders(customer, lines) VALUES (:customer, 3);
$GUARDED_UPDATES
INSERT INTO outbox(order_id, type, payload) VALUES (currval('orders_id_seq'), 'order.created', '{"lines": 3}');
COMMIT;
SQL

PGBENCH_CMDS=()
# run_pgbench LABEL FILE: one baseline step; leaves its figures in PGB_TPS and PGB_LAT.
run_pgbench() {
  local label=$1 file=$2 out="$WORK/pgbench-$2.txt"
  check_budget "pgbench $label" $((PGBENCH_SECONDS + 10))
  log "pgbench $label baseline: -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS -f $file"
  PGBENCH_CMDS+=("pgbench -n -h 127.0.0.1 -p $PGPORT -U postgres -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS -f $file bench")
  measure_begin
  timeout $((PGBENCH_SECONDS + 60)) "$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U postgres \
    -c "$CONNECTIONS" -j 2 -T "$PGBENCH_SECONDS" -f "$WORK/$file" bench >"$out" 2>&1 \
    || { cat "$out" >&2; die "pgbench $label failed"; }
  measure_end "pgbench $label, -c $CONNECTIONS"
  PGB_TPS=$(sed -nE 's/^tps = ([0-9]+(\.[0-9])?).* \(without initial connection time\).*/\1/p' "$out")
  PGB_LAT=$(sed -nE 's/^latency average = ([0-9.]+ ms).*/\1/p' "$out")
  [[ -n $PGB_TPS ]] || { cat "$out" >&2; die "could not read tps from pgbench $label"; }
  log "pgbench $label: $PGB_TPS tps, latency average $PGB_LAT"
}
run_pgbench "hot row" hot-row.sql
PGBENCH_TPS=$PGB_TPS PGBENCH_LAT=$PGB_LAT
run_pgbench "reserve-3line" reserve-3line.sql
PGB_RESERVE3_TPS=$PGB_TPS PGB_RESERVE3_LAT=$PGB_LAT
run_pgbench "checkout-3line" checkout-3line.sql
PGB_CHECKOUT3_TPS=$PGB_TPS PGB_CHECKOUT3_LAT=$PGB_LAT

# ---------------------------------------------------------------------------------------------------------- API
check_budget "API start" 60
API_PORT=$(free_port 5080)
SILO_PORT=$(free_port)
GATEWAY_PORT=$(free_port)
URL="http://127.0.0.1:$API_PORT"
CONNECTION_STRING="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=oms"
if [[ -n $SILOS ]]; then
  # The production shape: silos and a stateless API node, clustering on this run's PostgreSQL.
  API_CMD="ConnectionStrings__Oms=\"$CONNECTION_STRING\" OMS_CLUSTER_NO_BUILD=1 scripts/cluster.sh up $SILOS 1"
  log "starting $SILOS silo processes and one API node (scripts/cluster.sh)"
  mkdir -p "$WORK/cluster"
  ConnectionStrings__Oms="$CONNECTION_STRING" OMS_CLUSTER_DIR="$WORK/cluster" OMS_CLUSTER_NO_BUILD=1 \
    timeout 180 "$ROOT/scripts/cluster.sh" up "$SILOS" 1 >"$WORK/cluster.log" 2>&1 || { tail -30 "$WORK/cluster.log" >&2; die "the cluster did not start"; }
  # The cluster made its own bootstrap key; the load tool reads it from the environment, as with the single process.
  OMS_API_KEY=$(sed -nE 's/^export OMS_ADMIN_KEY=(.*)$/\1/p' "$WORK/cluster/env")
  export OMS_API_KEY
  read -r _ API_PID URL < <(grep '^api ' "$WORK/cluster/processes")
  mapfile -t APP_PIDS < <(awk '$1 == "silo" || $1 == "api" {print $2}' "$WORK/cluster/processes")
else
  API_CMD="ConnectionStrings__Oms=\"$CONNECTION_STRING\" Oms__Security__BootstrapAdminKey=<random per run> dotnet src/Api/bin/Release/net10.0/Oms.Api.dll --urls $URL --Orleans:SiloPort=$SILO_PORT --Orleans:GatewayPort=$GATEWAY_PORT --Orleans:AdvertisedIPAddress=127.0.0.1"
  log "starting the API (co-hosted silo) on $URL"
  # Started from its output directory, which is its content root, so that its appsettings.json (log levels) applies.
  (cd "$API_DIR" && ConnectionStrings__Oms="$CONNECTION_STRING" Oms__Security__BootstrapAdminKey="$BOOTSTRAP_KEY" exec dotnet Oms.Api.dll --urls "$URL" \
    --Orleans:SiloPort="$SILO_PORT" --Orleans:GatewayPort="$GATEWAY_PORT" --Orleans:AdvertisedIPAddress=127.0.0.1) \
    >"$WORK/api.log" 2>&1 &
  API_PID=$!
  APP_PIDS=("$API_PID")
fi
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
SCENARIOS=" ${LOAD_SCENARIOS:-health availability hold-hot reserve-hot hold-scarce hold-spread reserve-spread reserve-3line cnc-options order-hot checkout-3line fulfilment-events} "
wanted() { [[ $SCENARIOS == *" $1 "* ]]; }
# RUN_SECONDS (the scenario's warm-up plus measured seconds, default WARMUP + DURATION) and RUN_EXTRA (seconds of
# preparation beyond the usual 25, default 0) size the budget check and the timeout; set them on the call.
run_scenario() {
  local label=$1; shift
  local args=(--url "$URL" --catalogue "$CATALOGUE" --locations "$LOCATIONS" --mint-storefront-key "$@")
  local span=$((${RUN_SECONDS:-$((WARMUP + DURATION))} + ${RUN_EXTRA:-0}))
  RESULT=""
  # Warm-up, run, and about 25 s for start-up, stocking and read-back.
  if ((SECONDS + span + 25 > TIME_LIMIT)); then
    log "skipping $label: it could not finish within the ${TIME_LIMIT}s budget"
    echo "| $label | | | | | | | | | | | | skipped: it could not finish within the script's ${TIME_LIMIT} s budget |" >>"$TABLE"
    OUT_OF_TIME+=("$label")
    return
  fi
  COMMANDS+=("OMS_API_KEY=<bootstrap key> dotnet run -c Release --project benchmarks/Oms.LoadTest -- ${args[*]}")
  log "$label: $*"
  local rc=0 limit=$((TIME_LIMIT - SECONDS + 10))
  ((limit < span + 90)) || limit=$((span + 90))
  statements_reset
  trace_start "$label" "${RUN_SECONDS:-$((WARMUP + DURATION))}"
  measure_begin
  timeout "$limit" "${TOOL[@]}" "${args[@]}" --markdown "$TABLE" >"$WORK/run.log" 2>&1 || rc=$?
  measure_end "$label"
  statements_dump "$label"
  trace_end "$label"
  cat "$WORK/run.log" >&2
  if ((rc == 2)); then
    INCORRECT=1
    log "$label: WRONG ANSWERS (oversell or an inconsistent ledger; the tool exited 2)"
  elif ((rc != 0)); then
    die "$label failed (exit $rc)"
  fi
  for pid in "${APP_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || die "the API or a silo (pid $pid) died during $label"; done
  RESULT=$(grep -E ' model="| skipped: ' "$WORK/run.log" | tail -1 || true)
  [[ -n $RESULT ]] || die "$label printed no result line"
}

CPU_TRACE=${LOAD_CPU_TRACE:-}
CPU_TRACE_SECONDS=${LOAD_CPU_TRACE_SECONDS:-10}
TRACES="$WORK/traces.md"
: >"$TRACES"
TRACE_PID=""
# trace_start LABEL SPAN: samples the API process for CPU_TRACE_SECONDS ending about a second before the scenario's
# run should end (about 2 s of tool start-up, RUN_EXTRA of preparation, then SPAN of warm-up and measurement).
trace_start() {
  TRACE_PID=""
  local name=${1%%,*} tool=${DOTNET_TRACE:-dotnet-trace}
  [[ -n $CPU_TRACE && " $CPU_TRACE " == *" $name "* ]] || return 0
  command -v "$tool" >/dev/null || die "LOAD_CPU_TRACE needs dotnet-trace: dotnet tool install -g dotnet-trace, or DOTNET_TRACE=its path"
  local delay=$((2 + ${RUN_EXTRA:-0} + $2 - CPU_TRACE_SECONDS - 1))
  ((delay >= 0)) || delay=0
  (sleep "$delay" && "$tool" collect -p "$API_PID" --profile dotnet-sampled-thread-time --duration "$(printf '00:00:%02d' "$CPU_TRACE_SECONDS")" \
    -o "$WORK/$name.nettrace" >"$WORK/$name.trace.log" 2>&1) &
  TRACE_PID=$!
}
trace_end() {
  [[ -n $TRACE_PID ]] || return 0
  local name=${1%%,*} tool=${DOTNET_TRACE:-dotnet-trace}
  wait "$TRACE_PID" || { log "$name: dotnet-trace failed (see $WORK/$name.trace.log)"; return 0; }
  "$tool" convert "$WORK/$name.nettrace" --format Speedscope -o "$WORK/$name.speedscope.json" >>"$WORK/$name.trace.log" 2>&1 \
    || { log "$name: the trace could not be converted"; return 0; }
  local json
  json=$(ls "$WORK/$name"*.speedscope.json 2>/dev/null | head -1)
  [[ -n $json ]] || { log "$name: no speedscope file"; return 0; }
  {
    echo
    echo "**$1**: $CPU_TRACE_SECONDS s of \`dotnet-trace collect --profile dotnet-sampled-thread-time\` on the API process near the end of the run."
    echo
    python3 "$ROOT/benchmarks/speedscope-top.py" "$json" 15
  } >>"$TRACES"
}

field() { sed -nE "s/.* $1=([0-9.]+).*/\\1/p" <<<"$2"; }

# ratio A B DIGITS: A/B, or n/a when either figure is missing (a skipped scenario).
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN{printf "%.*f", d, a/b}'; else echo "n/a"; fi; }

COMMON=(--duration "$DURATION" --warmup "$WARMUP")
# The rows added for issue #18 run shorter (LOAD_ROW_DURATION), so that the whole set fits the budget.
ROW=(--duration "$ROW_DURATION" --warmup "$ROW_WARMUP")
ROW_SECONDS=$((ROW_DURATION + ROW_WARMUP))
HEALTH_RPS="" AVAIL_RPS="" HOT_RPS="" SCARCE_RESULT=""
# The result line of each scenario in issue #18's table, by scenario name.
declare -A ROW_RESULT=()
if wanted health; then
  run_scenario "health, closed $CONNECTIONS" --scenario health --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  HEALTH_RPS=$(field rps "$RESULT")
  ROW_RESULT[health]=$RESULT
fi
if wanted availability; then
  run_scenario "availability, closed $CONNECTIONS" --scenario availability --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  AVAIL_RPS=$(field rps "$RESULT")
  ROW_RESULT[availability]=$RESULT
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
  ROW_RESULT[reserve-hot]=$RESULT
fi
if wanted hold-scarce; then
  run_scenario "hold-hot scarce" --scenario hold-hot --rate 0 --connections "$CONNECTIONS" --stock "$SCARCE_STOCK" \
    --requests "$SCARCE_REQUESTS" --warmup 0 --duration "$DURATION"
  SCARCE_RESULT=$RESULT
fi
if wanted hold-spread; then
  run_scenario "hold-spread, closed $CONNECTIONS" --scenario hold-spread --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi
if wanted reserve-spread; then
  # 20,000 positions (1,000 SKUs at each of 20 locations) to stock and read back: about 15 s more than the others.
  RUN_SECONDS=$ROW_SECONDS RUN_EXTRA=15 run_scenario "reserve-spread, closed $CONNECTIONS" --scenario reserve-spread --rate 0 \
    --connections "$CONNECTIONS" --spread-items "$SPREAD_POSITIONS" "${ROW[@]}"
  ROW_RESULT[reserve-spread]=$RESULT
fi
if wanted reserve-3line; then
  RUN_SECONDS=$ROW_SECONDS RUN_EXTRA=10 run_scenario "reserve-3line, closed $CONNECTIONS" --scenario reserve-3line --rate 0 \
    --connections "$CONNECTIONS" --spread-items "$BASKET_SKUS" "${ROW[@]}"
  ROW_RESULT[reserve-3line]=$RESULT
fi
if wanted cnc-options; then
  run_scenario "cnc-options, closed $CONNECTIONS" --scenario cnc-options --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
fi
if wanted order-hot; then
  RUN_SECONDS=$ROW_SECONDS run_scenario "order-hot, closed $CONNECTIONS" --scenario order-hot --rate 0 --connections "$CONNECTIONS" "${ROW[@]}"
  ROW_RESULT[order-hot]=$RESULT
fi
if wanted checkout-3line; then
  run_scenario "checkout-3line, closed $CONNECTIONS" --scenario checkout-3line --rate 0 --connections "$CONNECTIONS" "${COMMON[@]}"
  ROW_RESULT[checkout-3line]=$RESULT
fi
if wanted fulfilment-events; then
  # Placing the orders to report on comes first: about 20 s for 8,000.
  RUN_SECONDS=$ROW_SECONDS RUN_EXTRA=$((FULFILMENT_ORDERS / 400)) run_scenario "fulfilment-events, closed $CONNECTIONS" \
    --scenario fulfilment-events --rate 0 --connections "$CONNECTIONS" --orders "$FULFILMENT_ORDERS" "${ROW[@]}"
  ROW_RESULT[fulfilment-events]=$RESULT
fi

# ------------------------------------------------------------------------------------------------------ report
log "stopping the API and PostgreSQL"
gather_cluster_logs
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

COMMIT_NOTE="\`$COMMIT\`"
((DIRTY == 0)) || COMMIT_NOTE+=" + $DIRTY modified"

# issue_row PATH TARGET SCENARIO BASELINE-LABEL BASELINE MIN-RATIO [P99-LIMIT-MS]: one row of issue #18's table.
# Measured is the scenario's unique acknowledged operations per second (ok-rps: 201s, or 200s for reads and
# events), never requests; the row passes when ratio >= MIN-RATIO and, if a limit is given, p99 < it.
ISSUE_ROWS=()
ISSUE_MISSES=0
issue_row() {
  local path=$1 target=$2 scenario=$3 base_label=$4 base=$5 min=$6 p99_limit=${7:-}
  local result=${ROW_RESULT[$scenario]:-} ok p99 r verdict
  ok=$(field ok-rps "$result"); p99=$(field p99 "$result")
  [[ -z $p99 ]] || p99=$(awk -v p="$p99" 'BEGIN{printf "%.1f", p}')
  if [[ -z $ok || -z $base ]]; then
    verdict="not run"
    if [[ $result == *skipped* ]]; then verdict="skipped"; fi
    ISSUE_ROWS+=("| $path | $target | | $base_label${base:+ $base} | | | $verdict | $COMMIT_NOTE |")
    ISSUE_MISSES=$((ISSUE_MISSES + 1))
    return
  fi
  r=$(ratio "$ok" "$base" 2)
  verdict=$(awk -v r="$r" -v m="$min" -v p="$p99" -v l="$p99_limit" 'BEGIN{ok = r + 0 >= m + 0; if (l != "" && p + 0 >= l + 0) ok = 0; print ok ? "pass" : "**miss**"}')
  [[ $verdict == pass ]] || ISSUE_MISSES=$((ISSUE_MISSES + 1))
  ISSUE_ROWS+=("| $path | $target | $ok | $base_label $base | ${r}× | $p99 | $verdict | $COMMIT_NOTE |")
}
issue_row '`POST /api/v1/reservations`, one line, hot SKU' '≥ 3× pgbench hot-row tps, p99 < 50 ms' reserve-hot 'pgbench hot row' "$PGBENCH_TPS" 3 50
issue_row '`POST /api/v1/reservations`, one line, random SKU × location over 20,000 positions' '≥ 3× pgbench hot-row tps' reserve-spread 'pgbench hot row' "$PGBENCH_TPS" 3
issue_row '`POST /api/v1/reservations`, 3 lines over 10,000 SKUs' '≥ 1.5× pgbench reserve-3line' reserve-3line 'pgbench reserve-3line' "$PGB_RESERVE3_TPS" 1.5
issue_row '`POST /api/v1/orders`, one line, hot SKU' '≥ 2× pgbench hot-row tps' order-hot 'pgbench hot row' "$PGBENCH_TPS" 2
issue_row '`POST /api/v1/orders`, 3 lines over 10,000 SKUs, ship to home' '≥ 1× pgbench checkout-3line' checkout-3line 'pgbench checkout-3line' "$PGB_CHECKOUT3_TPS" 1
issue_row 'availability of a SKU at 20 locations' "≥ 0.85× the app's \`/health/live\`" availability '`/health/live`' "$(field ok-rps "${ROW_RESULT[health]:-}")" 0.85
issue_row 'fulfilment events (accept, ship)' '≥ 1× pgbench checkout-3line' fulfilment-events 'pgbench checkout-3line' "$PGB_CHECKOUT3_TPS" 1

mkdir -p "$(dirname "$OUT")"
{
  echo "# HTTP load results"
  echo
  echo "Written by \`benchmarks/run-load.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$COMMIT\`$( ((DIRTY > 0)) && echo " with $DIRTY locally modified files")."
  echo
  if [[ -n $SILOS ]]; then
    echo "**A cluster on one $(nproc)-core machine** (LOAD_SILOS=$SILOS): the load generator, one stateless API node, $SILOS silo"
    echo "processes clustering on PostgreSQL, and PostgreSQL compete for the same cores (see the CPU table; its API + silo"
    echo "column sums every node). Each request crosses from the API node to a gateway silo and, for a grain placed"
    echo "elsewhere, on to its silo. Compare with a single-process run as ratios, each against its own pgbench."
  else
    echo "**Everything shares one $(nproc)-core machine**: the load generator, the API with its co-hosted Orleans silo, and"
    echo "PostgreSQL compete for the same cores (see the CPU table), so these figures are a floor for the API, not its"
    echo "capacity, and the generator's own CPU use limits what it can offer. Compare them as ratios within this run."
  fi
  echo
  echo "**Authentication is on** (issue #11): every /api/v1 request carries \`Authorization: Bearer\`. Seeding and read-back"
  echo "use a random bootstrap admin key set for this run; each scenario's measured requests use a storefront key the"
  echo "load tool created for it through \`POST /api/v1/api-keys\`. The health scenario is outside /api and needs none."
  echo
  echo "## Issue #18 targets"
  echo
  echo "Measured: unique acknowledged operations per second (201 for a reservation or an order, 200 for a read or a"
  echo "fulfilment event; each request carries a new id, so no answer is counted twice), closed loop, $CONNECTIONS connections,"
  echo "the API, PostgreSQL and the generator on the same $(nproc) cores. Baselines: pgbench tps on the same server in the"
  echo "same run, -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS (scripts under Commands). p99 in ms."
  echo
  echo "| Path | Target | Measured (ops/s) | Baseline (ops/s) | Ratio | p99 (ms) | Result | Commit |"
  echo "| --- | --- | ---: | --- | ---: | ---: | --- | --- |"
  printf '%s\n' "${ISSUE_ROWS[@]}"
  echo
  echo "Measured for $DURATION s after a $WARMUP s warm-up (reserve-hot, checkout-3line, availability, health), $ROW_DURATION s"
  echo "after $ROW_WARMUP s (reserve-spread, reserve-3line, order-hot, fulfilment-events, to fit the run's ${TIME_LIMIT} s budget)."
  echo "This run's sizes: reserve-spread over $SPREAD_POSITIONS positions ($((SPREAD_POSITIONS / LOCATIONS)) SKUs × $LOCATIONS locations), reserve-3line"
  echo "over $BASKET_SKUS SKUs (each at one location), checkout-3line over the $CATALOGUE-SKU catalogue at $LOCATIONS locations,"
  echo "availability over the same catalogue, fulfilment-events on $FULFILMENT_ORDERS orders placed first (accepted, then shipped)."
  echo
  echo "## Results"
  echo
  cat "$TABLE"
  echo
  echo "- pgbench hot-row baseline (\`UPDATE stock SET available = available - 1 WHERE id = 1 AND available >= 1;\`,"
  echo "  -c $CONNECTIONS -j 2 -T $PGBENCH_SECONDS, same PostgreSQL server): **$PGBENCH_TPS tps**, latency average $PGBENCH_LAT."
  echo "- pgbench reserve-3line baseline (3 guarded UPDATEs of random rows of 10,000 and a reservation INSERT, one transaction):"
  echo "  **$PGB_RESERVE3_TPS tps**, latency average $PGB_RESERVE3_LAT."
  echo "- pgbench checkout-3line baseline (an order INSERT, the same 3 UPDATEs and an outbox INSERT, one transaction):"
  echo "  **$PGB_CHECKOUT3_TPS tps**, latency average $PGB_CHECKOUT3_LAT."
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
  echo "hold-spread: placed directly on the stock item; reserve-hot, reserve-spread: a one-line reservation; reserve-3line:"
  echo "a three-line reservation, all or nothing), and orders (order-hot, checkout-3line) allocate one unit a line,"
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
  if [[ -s $TRACES ]]; then
    echo
    echo "## API + silo CPU by frame (LOAD_CPU_TRACE)"
    cat "$TRACES"
  fi
  if [[ -s $STATEMENTS ]]; then
    echo
    echo "## PostgreSQL time by statement (LOAD_PG_STATEMENTS=1)"
    cat "$STATEMENTS"
  fi
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "benchmarks/run-load.sh${1:+ $1}"
  echo "# PostgreSQL $PG_VERSION, throwaway: initdb -A trust -E UTF8 --locale=C; postgres -p $PGPORT -c listen_addresses=127.0.0.1 -c max_connections=200"
  printf '%s\n' "${PGBENCH_CMDS[@]}"
  echo "$API_CMD"
  echo "$SEED_CMD"
  printf '%s\n' "${COMMANDS[@]}"
  echo '```'
  echo
  echo "The script runs the built \`Oms.LoadTest.dll\` directly rather than through \`dotnet run\`, with the same arguments."
  echo "The pgbench scripts, on tables stock (one row), stock_spread (10,000 rows), reservation, orders and outbox:"
  for f in hot-row reserve-3line checkout-3line; do
    echo
    echo "\`$f.sql\`:"
    echo
    echo '```sql'
    cat "$WORK/$f.sql"
    echo '```'
  done
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

# LOAD_DOCS: the report becomes that file's "## HTTP load" section (everything up to the next "## " heading),
# one heading level down, as docs/benchmarks.md carries it; appended when the file has no such section.
# Headings inside code blocks are left alone on both sides.
if [[ -n $DOCS ]]; then
  [[ -f $DOCS ]] || die "LOAD_DOCS: no file $DOCS"
  {
    echo '## HTTP load (`benchmarks/run-load.sh`)'
    tail -n +2 "$OUT" | awk '/^```/{code = !code} !code && /^#+ /{$0 = "#" $0} {print}'
  } >"$WORK/section.md"
  awk -v section="$WORK/section.md" '
    function put(  line) { while ((getline line < section) > 0) print line; done = 1 }
    /^```/ { code = !code }
    !code && /^## HTTP load/ { put(); skip = 1; next }
    skip && !code && /^## / { skip = 0; print ""; }
    !skip { print }
    END { if (!done) { print ""; put() } }' "$DOCS" >"$DOCS.tmp"
  mv "$DOCS.tmp" "$DOCS"
  log "report placed in $DOCS"
fi

echo
cat "$TABLE"
echo
echo "pgbench hot row: $PGBENCH_TPS tps; hot holds / pgbench = $HOT_RATIO; availability / health = $AVAIL_RATIO"
echo "pgbench reserve-3line: $PGB_RESERVE3_TPS tps; checkout-3line: $PGB_CHECKOUT3_TPS tps"
echo
echo "| Path | Target | Measured (ops/s) | Baseline (ops/s) | Ratio | p99 (ms) | Result | Commit |"
echo "| --- | --- | ---: | --- | ---: | ---: | --- | --- |"
printf '%s\n' "${ISSUE_ROWS[@]}"
echo
echo "report: $OUT"
((INCORRECT == 0)) || { log "wrong answers detected"; exit 2; }
