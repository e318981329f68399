#!/usr/bin/env bash
# Installs quicflow-agent on this machine: a release binary, an example
# configuration and handler, a private data directory, a dedicated user and
# a systemd unit (Restart=on-failure).
#
#   sudo scripts/install-agent.sh            # build, install, enable (not start)
#   sudo scripts/install-agent.sh --start    # ... and start it
#
# Options (defaults in brackets):
#   --prefix DIR       binary in DIR/bin, handlers in DIR/lib/quicflow/handlers [/usr/local]
#   --config-dir DIR   agent.conf and agent.conf.example [/etc/quicflow]
#   --data-dir DIR     the outbox and state, mode 0700 [/var/lib/quicflow-agent]
#   --unit-dir DIR     where the systemd unit goes [/etc/systemd/system]
#   --user NAME        account the agent runs as, created if missing [quicflow]
#   --binary FILE      install this binary instead of building one
#   --start            start the service now (default: enable only)
#   --no-systemctl     install the unit file but do not call systemctl
# An existing agent.conf or handler is never overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
config_dir=/etc/quicflow
data_dir=/var/lib/quicflow-agent
unit_dir=/etc/systemd/system
user=quicflow
binary=""
start=0
systemctl=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --config-dir) config_dir=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --unit-dir) unit_dir=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --start) start=1; shift ;;
    --no-systemctl) systemctl=0; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-agent.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
for dir in "$prefix" "$config_dir" "$data_dir" "$unit_dir"; do
  case "$dir" in
    /*) ;;
    *) echo "install-agent.sh: $dir is not an absolute path" >&2; exit 64 ;;
  esac
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# Libraries the agent links (and, to build it, their headers).
bash scripts/ensure-packages.sh libngtcp2-crypto-gnutls-dev libngtcp2-dev libgnutls28-dev libsqlite3-dev

if [ -z "$binary" ]; then
  echo "install-agent.sh: building quicflow-agent (release)"
  # The Swift runtime linked in: no Swift libraries needed on the device, and
  # `quicflow-agent send` starts in ~16 ms instead of ~23 ms (quicflow-bench outbox).
  swift build -c release --product quicflow-agent --static-swift-stdlib --scratch-path .build-static
  binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/quicflow-agent"
fi
if [ ! -x "$binary" ]; then
  echo "install-agent.sh: $binary is not an executable" >&2
  exit 1
fi

# A dedicated system account, unless told to use an existing one.
if ! id "$user" >/dev/null 2>&1; then
  echo "install-agent.sh: creating system user $user"
  $sudo useradd --system --home-dir "$data_dir" --no-create-home --shell /usr/sbin/nologin "$user"
fi
group=$(id -gn "$user")

$sudo install -d -m 0755 "$prefix/bin" "$prefix/lib/quicflow/handlers" "$unit_dir"
$sudo install -m 0755 "$binary" "$prefix/bin/quicflow-agent"
if [ ! -e "$prefix/lib/quicflow/handlers/command" ]; then
  # Owned by root: the agent refuses handlers others could modify.
  $sudo install -m 0755 scripts/handlers/command "$prefix/lib/quicflow/handlers/command"
fi

# The configuration may hold secrets (key paths, env): readable by the agent only.
$sudo install -d -m 0755 "$config_dir"
$sudo install -m 0644 agent.conf.example "$config_dir/agent.conf.example"
if [ ! -e "$config_dir/agent.conf" ]; then
  tmp=$(mktemp)
  sed -e "s|^# data_dir = \"/var/lib/quicflow-agent\"|data_dir = \"$data_dir\"|" \
      -e "s|/usr/local/lib/quicflow/handlers|$prefix/lib/quicflow/handlers|g" \
      agent.conf.example > "$tmp"
  $sudo install -m 0600 -o "$user" -g "$group" "$tmp" "$config_dir/agent.conf"
  rm -f "$tmp"
  echo "install-agent.sh: wrote $config_dir/agent.conf; set [server] address (and ca_file) before starting"
fi
$sudo install -d -m 0700 -o "$user" -g "$group" "$data_dir"

unit="$unit_dir/quicflow-agent.service"
tmp=$(mktemp)
sed -e "s|@USER@|$user|g" -e "s|@GROUP@|$group|g" -e "s|@BINDIR@|$prefix/bin|g" \
    -e "s|@CONFIG@|$config_dir/agent.conf|g" scripts/quicflow-agent.service > "$tmp"
$sudo install -m 0644 "$tmp" "$unit"
rm -f "$tmp"

if [ "$systemctl" = 1 ] && [ -d /run/systemd/system ]; then
  $sudo systemctl daemon-reload
  $sudo systemctl enable quicflow-agent.service
  if [ "$start" = 1 ]; then
    $sudo systemctl restart quicflow-agent.service
  fi
else
  echo "install-agent.sh: systemd is not running here; installed $unit without enabling it"
fi

"$prefix/bin/quicflow-agent" check-config --config "$config_dir/agent.conf" || \
  echo "install-agent.sh: edit $config_dir/agent.conf, then: sudo systemctl start quicflow-agent"
echo "install-agent.sh: installed $prefix/bin/quicflow-agent (run as $user, data in $data_dir)"
