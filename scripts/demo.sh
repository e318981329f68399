#!/usr/bin/env bash
# The whole system in one command, on this machine: installs what is missing,
# builds, makes a throw-away PKI, starts quicflow-server and one quicflow-agent
# (mTLS, an example command handler), sends a command with quicflowctl and
# prints the handler's result, sends an event with `quicflow-agent send`, shows
# `quicflow-agent status` and the server's client list, then stops everything
# and removes what it made. Exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { echo "demo.sh: FAILED: $*" >&2; exit 1; }

step "Installing missing packages"
bash scripts/ensure-packages.sh libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libsqlite3-dev python3

work=$(mktemp -d "${TMPDIR:-/tmp}/quicflow-demo.XXXXXX")

step "Building quicflow-server, quicflow-agent, quicflowctl"
for product in quicflow-server quicflow-agent quicflowctl; do
  swift build --product "$product" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; rm -rf "$work"; fail "swift build --product $product"; }
done
bin=$(swift build --show-bin-path)
server_pid=""
agent_pid=""
cleanup() {
  status=$?
  for pid in $agent_pid $server_pid; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for pid in $agent_pid $server_pid; do wait "$pid" 2>/dev/null || true; done
  if [ $status -ne 0 ]; then
    for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }; done
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free ports on loopback (UDP for QUIC, TCP for the admin API).
read -r quic_port admin_port < <(python3 - <<'PY'
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 0))
print(u.getsockname()[1], t.getsockname()[1])
PY
)

step "Creating a throw-away fleet PKI in $work/pki"
"$bin/quicflowctl" certs init --dir "$work/pki" --dns localhost --ip 127.0.0.1 >/dev/null
"$bin/quicflowctl" certs issue --dir "$work/pki" --client-id demo-device >/dev/null
ls "$work/pki"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/admin.token"
export QUICFLOW_ADMIN="http://127.0.0.1:$admin_port" QUICFLOW_ADMIN_TOKEN_FILE="$work/admin.token"

step "Starting quicflow-server (QUIC 127.0.0.1:$quic_port, admin API 127.0.0.1:$admin_port, mTLS)"
"$bin/quicflow-server" serve --listen "127.0.0.1:$quic_port" --admin-listen "127.0.0.1:$admin_port" \
  --cert "$work/pki/server.crt" --key "$work/pki/server.key" \
  --client-ca "$work/pki/ca.crt" --require-client-cert \
  --admin-token-file "$work/admin.token" --data-dir "$work/server-data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  "$bin/quicflowctl" clients >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || fail "quicflow-server exited"
  sleep 0.1
done
"$bin/quicflowctl" clients >/dev/null || fail "the admin API did not come up"

step "Starting quicflow-agent as demo-device, with the example command handler"
mkdir -m 700 "$work/handlers"
cp scripts/handlers/command "$work/handlers/command"
chmod 755 "$work/handlers/command"
cat >"$work/agent.conf" <<CONF
[agent]
client_id = "demo-device"
data_dir = "$work/agent-data"

[server]
address = "127.0.0.1:$quic_port"
server_name = "localhost"
ca_file = "$work/pki/ca.crt"
cert_file = "$work/pki/demo-device.crt"
key_file = "$work/pki/demo-device.key"

[reconnect]
initial_backoff = "200ms"

[handlers.command]
exec = "$work/handlers/command"
CONF
chmod 600 "$work/agent.conf"
export QUICFLOW_AGENT_CONFIG="$work/agent.conf"
"$bin/quicflow-agent" check-config
"$bin/quicflow-agent" run >"$work/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 150); do
  "$bin/quicflowctl" client demo-device >/dev/null 2>&1 && break
  kill -0 "$agent_pid" 2>/dev/null || fail "quicflow-agent exited"
  sleep 0.1
done
"$bin/quicflowctl" client demo-device || fail "demo-device did not connect"

step "quicflowctl send demo-device --type command --payload 'uptime please'"
result=$("$bin/quicflowctl" send demo-device --type command --payload "uptime please" --timeout 10s)
echo "result from the agent's handler: $result"
case "$result" in *"payload=uptime please"*) ;; *) fail "unexpected result: $result" ;; esac

step "quicflow-agent send --type event (the server streams it on /v1/events)"
"$bin/quicflowctl" events --count 1 >"$work/events.out" 2>"$work/events.err" &
events_pid=$!
# quicflowctl says "following events" once it is subscribed.
for _ in $(seq 100); do grep -q "following events" "$work/events.err" && break; sleep 0.1; done
grep -q "following events" "$work/events.err" || fail "quicflowctl events did not subscribe"
"$bin/quicflow-agent" send --type event --payload "door=open" --wait --timeout 10s
wait "$events_pid" || fail "quicflowctl events did not see the event"
echo "server event: $(cat "$work/events.out")"
grep -q "door=open" "$work/events.out" || fail "the event did not reach the server's event stream"

step "quicflow-agent status"
"$bin/quicflow-agent" status

step "quicflowctl clients"
"$bin/quicflowctl" clients

step "Stopping the agent and the server (SIGTERM)"
kill -TERM "$agent_pid"; wait "$agent_pid" || fail "quicflow-agent did not stop cleanly"; agent_pid=""
kill -TERM "$server_pid"; wait "$server_pid" || fail "quicflow-server did not stop cleanly"; server_pid=""

printf '\n\033[1mdemo.sh: all steps passed\033[0m\n'
