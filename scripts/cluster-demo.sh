#!/usr/bin/env bash
# Cluster mode in one command, on this machine: a throwaway PostgreSQL, three
# quicflow-server nodes on it and five quicflow-agents that know all three
# addresses. It runs a command through node C to a device held by node A,
# queues a message for an offline device and sees it delivered by whichever
# node the device comes back to, broadcasts through node B to every node's
# devices, kills node A with SIGKILL and shows its devices return on the
# others. Then it stops everything and removes what it made. Exits non-zero
# if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "cluster-demo.sh: FAILED: $*" >&2; exit 1; }

step "Installing missing packages"
bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev python3 postgresql

work=$(mktemp -d "${TMPDIR:-/tmp}/quicflow-cluster-demo.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $status -ne 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }; done
  fi
  bash scripts/test-postgres.sh stop "$work/pg" || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Building quicflow-server, quicflow-agent, quicflowctl"
for product in quicflow-server quicflow-agent quicflowctl; do
  swift build --product "$product" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "swift build --product $product"; }
done
bin=$(swift build --show-bin-path)

step "Starting a throwaway PostgreSQL"
database=$(bash scripts/test-postgres.sh start "$work/pg")
echo "$database"

# Three UDP ports for QUIC and three TCP ports for the admin APIs, on loopback.
read -r q1 q2 q3 a1 a2 a3 < <(python3 - <<'PY'
import socket
keep = []
def port(kind):
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); keep.append(s); return s.getsockname()[1]
print(*[port(socket.SOCK_DGRAM) for _ in range(3)], *[port(socket.SOCK_STREAM) for _ in range(3)])
PY
)
quic=("$q1" "$q2" "$q3")
admin=("$a1" "$a2" "$a3")
names=(node-a node-b node-c)

# Reads quicflowctl's JSON: `pick list` prints each device and its node,
# `pick count [NODE]` counts the devices (on NODE, or not on it with !NODE),
# `pick other NODE` names a device not on NODE, `pick field KEY` prints a key.
cat >"$work/pick.py" <<'PY'
import json, sys
data = json.load(sys.stdin)
what = sys.argv[1]
if what == "list":
    for c in data:
        print("  %s on %s" % (c["client_id"], c["node"]))
elif what == "count":
    node = sys.argv[2] if len(sys.argv) > 2 else None
    if node is None:
        print(len(data))
    elif node.startswith("!"):
        print(sum(1 for c in data if c["node"] != node[1:]))
    else:
        print(sum(1 for c in data if c["node"] == node))
elif what == "other":
    print(next(c["client_id"] for c in data if c["node"] != sys.argv[2]))
elif what == "field":
    print(data[sys.argv[2]])
PY
pick() { python3 "$work/pick.py" "$@"; }

step "Creating a throw-away fleet PKI with five device certificates"
"$bin/quicflowctl" certs init --dir "$work/pki" --dns localhost --ip 127.0.0.1 >/dev/null
for n in 1 2 3 4 5; do "$bin/quicflowctl" certs issue --dir "$work/pki" --client-id "dev-$n" >/dev/null; done
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin.token"
export QUICFLOW_ADMIN_TOKEN_FILE="$work/admin.token"
ctl() { local node=$1; shift; QUICFLOW_ADMIN="http://127.0.0.1:${admin[$node]}" "$bin/quicflowctl" "$@"; }

step "Starting three nodes on one PostgreSQL (a 4 s lease, so that a dead node's devices stop counting soon)"
node_pids=()
for i in 0 1 2; do
  cat >"$work/${names[$i]}.conf" <<CONF
[server]
listen = "127.0.0.1:${quic[$i]}"
cert = "$work/pki/server.crt"
key = "$work/pki/server.key"
client_ca = "$work/pki/ca.crt"
require_client_cert = true

[admin]
listen = "127.0.0.1:${admin[$i]}"
token_file = "$work/admin.token"

[heartbeat]
interval = "1s"
timeout = "4s"

[cluster]
database = "$database"
node_id = "${names[$i]}"
lease = "4s"
CONF
  "$bin/quicflow-server" serve --config "$work/${names[$i]}.conf" >"$work/${names[$i]}.log" 2>&1 &
  node_pids+=($!)
  pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 150); do ctl "$i" clients >/dev/null 2>&1 && break; sleep 0.1; done
  ctl "$i" clients >/dev/null || fail "${names[$i]} did not come up"
done
ctl 0 cluster

step "Starting five agents; each knows the three addresses and starts at a random one"
mkdir -m 700 "$work/handlers"
cp scripts/handlers/command "$work/handlers/command"
chmod 755 "$work/handlers/command"
start_agent() {
  local n=$1
  cat >"$work/dev-$n.conf" <<CONF
[agent]
client_id = "dev-$n"
data_dir = "$work/dev-$n-data"

[server]
address = ["127.0.0.1:${quic[0]}", "127.0.0.1:${quic[1]}", "127.0.0.1:${quic[2]}"]
server_name = "localhost"
ca_file = "$work/pki/ca.crt"
cert_file = "$work/pki/dev-$n.crt"
key_file = "$work/pki/dev-$n.key"

[heartbeat]
interval = "1s"
timeout = "3s"

[reconnect]
initial_backoff = "200ms"
max_backoff = "1s"

[handlers.command]
exec = "$work/handlers/command"
CONF
  chmod 600 "$work/dev-$n.conf"
  "$bin/quicflow-agent" run --config "$work/dev-$n.conf" >>"$work/dev-$n.log" 2>&1 &
  agent_pid[$n]=$!
  pids+=($!)
}
declare -A agent_pid
for n in 1 2 3 4 5; do start_agent "$n"; done
count_clients() { ctl "$1" clients --json 2>/dev/null | pick count; }
for _ in $(seq 200); do [ "$(count_clients 2)" = 5 ] && break; sleep 0.1; done
[ "$(count_clients 2)" = 5 ] || fail "the five devices did not all connect"
ctl 2 clients --json | pick list

step "A command through node C to a device on another node"
target=$(ctl 2 clients --json | pick other node-c)
holder=$(ctl 2 client "$target" --json | pick field node)
result=$(ctl 2 send "$target" --type command --payload "uptime please" --timeout 10s)
echo "sent through node-c to $target on $holder; its handler answered: $result"
case "$result" in *"payload=uptime please"*) ;; *) fail "unexpected result: $result" ;; esac

step "A message queued for an offline device is delivered by whichever node it returns to"
kill -TERM "${agent_pid[5]}"; wait "${agent_pid[5]}" 2>/dev/null || true
for _ in $(seq 100); do ctl 0 client dev-5 >/dev/null 2>&1 || break; sleep 0.1; done
queued=$(ctl 0 send dev-5 --type command --payload "while you were away" --queue-if-offline --ttl 5m --json)
msg_id=$(echo "$queued" | pick field msg_id)
echo "queued through node-a: $msg_id"
start_agent 5
for _ in $(seq 200); do
  ctl 1 message "$msg_id" --json 2>/dev/null | grep -q '"delivered"' && break
  sleep 0.1
done
ctl 1 message "$msg_id" --json | grep -q '"delivered"' || fail "the queued message was not delivered"
for _ in $(seq 100); do ctl 1 client dev-5 >/dev/null 2>&1 && break; sleep 0.1; done
echo "dev-5 came back on $(ctl 1 client dev-5 --json | pick field node); node-b reports:"
ctl 1 message "$msg_id"

step "A broadcast through node B reaches the devices of every node"
reply=$(ctl 1 broadcast --type event --payload "hello fleet" --json)
echo "$reply"
echo "$reply" | python3 -c 'import json, sys; r = json.load(sys.stdin); sys.exit(0 if r["reached"] == 5 and r["nodes"] == 3 else 1)' \
  || fail "the broadcast did not reach all five devices on three nodes"

step "kill -9 of node A: its devices fail over to the other nodes"
on_a=$(ctl 1 clients --json | pick count node-a)
echo "devices on node-a before the kill: $on_a"
kill -KILL "${node_pids[0]}"
for _ in $(seq 300); do
  back=$(ctl 1 clients --json 2>/dev/null | pick count '!node-a' || echo 0)
  [ "$back" = 5 ] && break
  sleep 0.1
done
[ "$back" = 5 ] || fail "only $back of the 5 devices came back on node-b and node-c"
ctl 1 clients
for _ in $(seq 100); do ctl 1 cluster --json | grep -q '"alive":false' && break; sleep 0.1; done
ctl 1 cluster

step "Done: the cluster demo passed"
