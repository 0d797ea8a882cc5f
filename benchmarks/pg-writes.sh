#!/usr/bin/env bash
# What one acknowledged operation costs PostgreSQL, path by path (issue #18, "where the time goes"):
#
#   dotnet build -c Release src/Api && sudo benchmarks/pg-writes.sh      (root: it runs PostgreSQL as postgres)
#
# A throwaway server and the API co-hosted with a silo on loopback; 400 SKUs stocked at one warehouse; then, for
# each path, 20 warm-up requests and N (200) sequential ones with curl. The server's counters (pg_stat_database)
# are read around each path, and what the idle cluster does on its own over 20 s (pollers, sweeps, membership) is
# subtracted in proportion to the time taken. Rows inserted are exact (an idle cluster inserts none); commits are
# noisy, since the idle rate is large beside one request's.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
D=$(mktemp -d /tmp/xact.XXXX); chown postgres "$D"
runuser -u postgres -- "$PGBIN/initdb" -D "$D/data" -A trust -U postgres -E UTF8 --locale=C -N >/dev/null
PORT=$((30000 + RANDOM % 20000))
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$D -c max_connections=200" -l "$D/log" -w start >/dev/null
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -m immediate stop >/dev/null; kill ${API:-} 2>/dev/null; rm -rf "$D"' EXIT
PSQL=("$PGBIN/psql" -X -q -At -h 127.0.0.1 -p $PORT -U postgres)
"${PSQL[@]}" -d postgres -c 'CREATE DATABASE oms'
KEY=$(openssl rand -hex 24)
cd "$ROOT/src/Api/bin/Release/net10.0"
ConnectionStrings__Oms="Host=127.0.0.1;Port=$PORT;Username=postgres;Database=oms" Oms__Security__BootstrapAdminKey=$KEY Logging__LogLevel__Default=Warning \
  dotnet Oms.Api.dll --urls http://127.0.0.1:5090 --Orleans:SiloPort=31111 --Orleans:GatewayPort=31112 --Orleans:AdvertisedIPAddress=127.0.0.1 >"$D/api.log" 2>&1 &
API=$!
for i in $(seq 1 120); do curl -sf http://127.0.0.1:5090/health/ready >/dev/null && break; sleep 1; done
H=(-s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json')
A=http://127.0.0.1:5090/api/v1
curl "${H[@]}" -X PUT $A/locations/WH1 -d '{"name":"W1","type":"warehouse","latitude":48.9,"longitude":2.4,"countryCode":"FR"}' >/dev/null
items=$(python3 -c 'import json;print(json.dumps({"sequence":1,"items":[{"sku":"S%d"%i,"onHand":100000} for i in range(400)]}))')
curl "${H[@]}" -X PUT $A/locations/WH1/stock -d "$items"
sleep 3
stat() { "${PSQL[@]}" -d oms -c "SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname='oms'"; }
N=${N:-200}
idle() { local b a; b=$(stat); sleep 20; a=$(stat); IDLE=$(python3 -c "import sys;b=[int(x) for x in '$b'.split('|')];a=[int(x) for x in '$a'.split('|')];print('|'.join(str((y-x)/20) for x,y in zip(b,a)))"); }
measure() { # name, then a function that sends request i
  local name=$1 fn=$2 ok=0
  for i in $(seq 1 20); do $fn "warm$name$i" >/dev/null; done
  sleep 2; local b t0 t1; b=$(stat); t0=$(date +%s.%N)
  for i in $(seq 1 $N); do [[ $($fn "$name$i") =~ ^20 ]] && ok=$((ok+1)); done
  sleep 2; t1=$(date +%s.%N); local a; a=$(stat)
  python3 - "$name" "$ok" "$b" "$a" "$IDLE" "$t0" "$t1" <<'PY'
import sys
name, ok = sys.argv[1], int(sys.argv[2])
b, a = [int(x) for x in sys.argv[3].split('|')], [int(x) for x in sys.argv[4].split('|')]
idle = [float(x) for x in sys.argv[5].split('|')]
secs = float(sys.argv[7]) - float(sys.argv[6])
d = [(y - x - r * secs) / ok for x, y, r in zip(b, a, idle)]
print(f"| {name} | {ok} | {d[0]:.2f} | {d[1]:.2f} | {d[2]:.2f} | {d[3]:.2f} | {secs * 1000 / ok:.0f} |")
PY
}
hold() { curl "${H[@]}" -X POST $A/locations/WH1/stock/S1/holds -d "{\"holdId\":\"$1\",\"quantity\":1,\"ttlSeconds\":3600}"; }
res1() { curl "${H[@]}" -X POST $A/reservations -d "{\"reservationId\":\"$1\",\"ttlSeconds\":3600,\"lines\":[{\"sku\":\"S2\",\"locationId\":\"WH1\",\"quantity\":1}]}"; }
res3() { curl "${H[@]}" -X POST $A/reservations -d "{\"reservationId\":\"$1\",\"ttlSeconds\":3600,\"lines\":[{\"sku\":\"S3\",\"locationId\":\"WH1\",\"quantity\":1},{\"sku\":\"S4\",\"locationId\":\"WH1\",\"quantity\":1},{\"sku\":\"S5\",\"locationId\":\"WH1\",\"quantity\":1}]}"; }
order() { curl "${H[@]}" -X POST $A/orders -H "Idempotency-Key: $1" -d "{\"channel\":\"web\",\"customer\":{\"customerId\":\"C1\",\"email\":\"ada@example.com\",\"name\":\"Ada\"},\"lines\":[{\"lineId\":\"1\",\"sku\":\"S6\",\"quantity\":1,\"unitPrice\":10,\"currency\":\"EUR\"}],\"delivery\":{\"method\":\"shipToHome\",\"address\":{\"line1\":\"1 Main St\",\"city\":\"Paris\",\"postalCode\":\"75001\",\"countryCode\":\"FR\",\"latitude\":48.86,\"longitude\":2.34}}}"; }
order3() { curl "${H[@]}" -X POST $A/orders -H "Idempotency-Key: $1" -d "{\"channel\":\"web\",\"customer\":{\"customerId\":\"C1\",\"email\":\"ada@example.com\",\"name\":\"Ada\"},\"lines\":[{\"lineId\":\"1\",\"sku\":\"S7\",\"quantity\":1,\"unitPrice\":10,\"currency\":\"EUR\"},{\"lineId\":\"2\",\"sku\":\"S8\",\"quantity\":1,\"unitPrice\":10,\"currency\":\"EUR\"},{\"lineId\":\"3\",\"sku\":\"S9\",\"quantity\":1,\"unitPrice\":10,\"currency\":\"EUR\"}],\"delivery\":{\"method\":\"shipToHome\",\"address\":{\"line1\":\"1 Main St\",\"city\":\"Paris\",\"postalCode\":\"75001\",\"countryCode\":\"FR\",\"latitude\":48.86,\"longitude\":2.34}}}"; }
idle
echo "idle per s: $IDLE (commits|inserted|updated|deleted)"
echo "| path (sequential, one at a time) | acknowledged | commits / op | rows inserted / op | rows updated / op | rows deleted / op | ms / op incl. curl |"
echo "|---|---:|---:|---:|---:|---:|---:|"
measure hold hold
measure reserve-1line res1
measure reserve-3line res3
measure order-1line order
measure order-3line order3
