#!/usr/bin/env bash
# A local production-shape cluster: N silo processes and M stateless API nodes on loopback against one PostgreSQL.
#
#   scripts/cluster.sh up [silos=2] [apis=1]   build Release, start them, wait until every API node is ready
#   scripts/cluster.sh status                  one line per live process: "silo <pid> <silo port> <gateway port>"
#                                              or "api <pid> <http url>"
#   scripts/cluster.sh down                    stop only what up started (and its throwaway PostgreSQL)
#
# PostgreSQL: ConnectionStrings__Oms when set (its user must be able to create tables in that database); otherwise
# a throwaway server from /usr/lib/postgresql/*/bin in the state directory, run as the 'postgres' user under root.
# State (PIDs, ports, logs, the admin key) lives in $OMS_CLUSTER_DIR, by default .cluster/ in the repository.
# OMS_CLUSTER_NO_BUILD=1 uses the binaries already built (the tests do); OMS_CLUSTER_CONFIGURATION picks them.
# OMS_CLUSTER_TLS=1 secures the silo and gateway ports with mutual TLS: throwaway certificates from openssl in $DIR/tls.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=${OMS_CLUSTER_DIR:-$ROOT/.cluster}
CONFIGURATION=${OMS_CLUSTER_CONFIGURATION:-Release}
STATE=$DIR/processes
READY_SECONDS=${OMS_CLUSTER_READY_SECONDS:-90}

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Ports this run has handed out: a process takes its port only once it starts, so a second ask could get it again.
USED=" "

# Below the kernel's ephemeral range: a port there may be the local end of some other process's outgoing
# connection, which no connect test sees and which makes the listener's bind fail.
EPHEMERAL_LOW=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)

free_port() {
  local port
  for port in $(shuf -i 20000-$((EPHEMERAL_LOW - 1)) -n 200); do
    if [[ $USED != *" $port "* ]] && ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free loopback port"
}

# Running, and not a zombie: a killed process whose parent (the shell that ran up, long gone) never reaps it stays
# in the table, and kill -0 would still find it.
alive() {
  local state
  state=$(sed -E 's/^[0-9]+ \(.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

runas() {
  if (($(id -u) == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  [[ -n $bin && -x $bin/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install -y postgresql), and ConnectionStrings__Oms is not set"
  echo "$bin"
}

# A throwaway server in $DIR/pg: trust on loopback only, removed by down.
start_postgres() {
  local bin port
  bin=$(pg_bin)
  if (($(id -u) == 0)); then
    id -u postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (the postgresql package creates it)"
  fi
  port=$(free_port)
  USED+="$port "
  mkdir -p "$DIR/pg"
  (($(id -u) == 0)) && chown postgres "$DIR/pg"
  (cd / && runas "$bin/initdb" -D "$DIR/pg/data" -A trust -U postgres -E UTF8 --locale=C -N >"$DIR/logs/initdb.log" 2>&1) \
    || { cat "$DIR/logs/initdb.log" >&2; die "initdb failed"; }
  (cd / && runas "$bin/pg_ctl" start -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$DIR/pg -c max_connections=300" >/dev/null) \
    || die "PostgreSQL did not start (see $DIR/pg/server.log)"
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'CREATE DATABASE oms'
  echo "postgres $bin $port" >>"$STATE"
  echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=oms"
}

# A throwaway authority and one node certificate (server and client use, for 127.0.0.1) that every process presents.
# The authority's key is deleted once the node's certificate is issued, so nothing else can be issued into this cluster.
make_certificates() {
  command -v openssl >/dev/null || die "OMS_CLUSTER_TLS=1 needs openssl (apt-get install -y openssl)"
  local tls=$DIR/tls
  rm -rf "$tls"
  mkdir -p "$tls"
  chmod 700 "$tls"
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=oms local cluster authority" \
      -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$tls/authority.key" -out "$tls/authority.pem"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=oms local node" -keyout "$tls/node.key" -out "$tls/node.csr"
    printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/node.ext"
    openssl x509 -req -in "$tls/node.csr" -CA "$tls/authority.pem" -CAkey "$tls/authority.key" -CAcreateserial -days 30 \
      -extfile "$tls/node.ext" -out "$tls/node.pem"
  } >"$DIR/logs/tls.log" 2>&1 || { cat "$DIR/logs/tls.log" >&2; die "openssl could not make the certificates"; }
  rm -f "$tls/authority.key" "$tls/node.csr" "$tls/node.ext" "$tls/authority.srl"
  export Orleans__Tls__Certificate=$tls/node.pem Orleans__Tls__Key=$tls/node.key Orleans__Tls__Authority=$tls/authority.pem
  log "mutual TLS on the silo and gateway ports (certificates in $tls)"
}

# Dies with the tail of a process's log, which is what anyone would open first.
died() { # what log
  tail -20 "$2" >&2 2>/dev/null || true
  die "$1 exited (see $2)"
}

start() { # kind logname dll args...
  local kind=$1 name=$2 dll=$3
  shift 3
  (cd "$(dirname "$dll")" && exec nohup dotnet "$dll" "$@" >"$DIR/logs/$name.log" 2>&1) &
  echo $!
}

up() {
  local silos=${1:-2} apis=${2:-1}
  [[ $silos =~ ^[0-9]+$ && $apis =~ ^[0-9]+$ ]] && ((silos >= 1 && silos <= 9 && apis >= 1 && apis <= 9)) \
    || die "usage: cluster.sh up [silos 1-9] [apis 1-9]"
  if [[ -f $STATE ]] && status >/dev/null && [[ -n $(status) ]]; then
    die "a cluster is already up (scripts/cluster.sh status; scripts/cluster.sh down first)"
  fi

  rm -rf "$DIR/logs" "$DIR/pg" "$STATE"
  mkdir -p "$DIR/logs"
  : >"$STATE"
  if [[ ${OMS_CLUSTER_NO_BUILD:-} != 1 ]]; then
    log "building $CONFIGURATION"
    dotnet build "$ROOT/Oms.Orleans.sln" -c "$CONFIGURATION" -nologo -v q >"$DIR/logs/build.log" 2>&1 || { tail -30 "$DIR/logs/build.log" >&2; die "build failed"; }
  fi

  local silo_dll="$ROOT/src/Silo/bin/$CONFIGURATION/net10.0/Oms.Silo.dll" api_dll="$ROOT/src/Api/bin/$CONFIGURATION/net10.0/Oms.Api.dll"
  [[ -f $silo_dll && -f $api_dll ]] || die "no built binaries under src/*/bin/$CONFIGURATION (build first, or leave OMS_CLUSTER_NO_BUILD unset)"

  local connection=${ConnectionStrings__Oms:-}
  [[ -n $connection ]] || connection=$(start_postgres)
  local cluster="cluster-$(date +%s)-$$"
  local key="oms-local-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'export OMS_ADMIN_KEY=%s\nexport ConnectionStrings__Oms="%s"\n' "$key" "$connection" >"$DIR/env"
  chmod 600 "$DIR/env"
  export ConnectionStrings__Oms=$connection Orleans__ClusterId=$cluster Orleans__ServiceId=$cluster
  export Oms__Security__BootstrapAdminKey=$key DOTNET_gcServer=0

  [[ ${OMS_CLUSTER_TLS:-} == 1 ]] && make_certificates

  log "applying the schema"
  (cd "$(dirname "$silo_dll")" && dotnet "$silo_dll" --apply-schema >"$DIR/logs/schema.log" 2>&1) || { cat "$DIR/logs/schema.log" >&2; die "the schema did not apply"; }

  local i pid silo_port gateway_port port url
  for ((i = 1; i <= silos; i++)); do
    silo_port=$(free_port)
    USED+="$silo_port "
    gateway_port=$(free_port)
    USED+="$gateway_port "
    pid=$(start silo "silo-$i" "$silo_dll" --Orleans:SiloPort="$silo_port" --Orleans:GatewayPort="$gateway_port" --Orleans:AdvertisedIPAddress=127.0.0.1)
    echo "silo $pid $silo_port $gateway_port" >>"$STATE"
    log "silo $i: pid $pid, silo port $silo_port, gateway port $gateway_port"
  done

  for ((i = 1; i <= apis; i++)); do
    port=$(free_port)
    USED+="$port "
    url="http://127.0.0.1:$port"
    pid=$(start api "api-$i" "$api_dll" --Oms:Hosting=client --urls="$url")
    echo "api $pid $url" >>"$STATE"
    log "api $i: pid $pid, $url"
  done

  local deadline=$((SECONDS + READY_SECONDS)) n=0
  while read -r kind pid url; do
    [[ $kind == api ]] || continue
    n=$((n + 1))
    until curl -sf -o /dev/null "$url/health/ready"; do
      alive "$pid" || died "api $pid" "$DIR/logs/api-$n.log"
      ((SECONDS < deadline)) || die "api $pid at $url was not ready within ${READY_SECONDS}s (see $DIR/logs)"
      sleep 0.5
    done
  done < <(grep '^api ' "$STATE")

  log "ready; the admin key and connection string are in $DIR/env (source it)"
  status
}

status() {
  [[ -f $STATE ]] || return 0
  local kind pid a b
  while read -r kind pid a b; do
    case $kind in
      silo) alive "$pid" && echo "silo $pid $a $b" ;;
      api) alive "$pid" && echo "api $pid $a" ;;
    esac
  done <"$STATE"
  return 0
}

down() {
  [[ -f $STATE ]] || { log "nothing is up"; return 0; }
  local kind pid a b pids=()
  # API nodes first, so no request is in flight towards a silo that is going; then the silos, which drain.
  for wanted in api silo; do
    while read -r kind pid a b; do
      [[ $kind == "$wanted" ]] && alive "$pid" && { kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid"); }
    done <"$STATE"
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.5; done
    alive "$pid" && { log "pid $pid did not stop within 30 s: killed"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  if read -r _ bin port < <(grep '^postgres ' "$STATE"); then
    (cd / && runas "$bin/pg_ctl" stop -D "$DIR/pg/data" -m fast -w -t 30 >/dev/null 2>&1) || true
    rm -rf "$DIR/pg"
  fi
  rm -f "$STATE" "$DIR/env"
  log "down"
}

case ${1:-} in
  up) shift; up "$@" ;;
  status) status ;;
  down) down ;;
  *) die "usage: cluster.sh up [silos] [apis] | status | down" ;;
esac
