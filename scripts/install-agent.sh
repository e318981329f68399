#!/usr/bin/env bash
# Installs quicflow-agent on this machine: a release binary, an example
# configuration and handler, a private data directory, a dedicated user and
# a systemd unit (Restart=on-failure). See usage() for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo scripts/install-agent.sh [options]

Installs quicflow-agent: a release binary, a configuration and an example
handler, a private data directory, a dedicated user and a systemd unit
(Restart=on-failure), enabled but not started.

  sudo scripts/install-agent.sh            # build, install, enable (not start)
  sudo scripts/install-agent.sh --start    # ... and start it

Options (defaults in brackets):
  --prefix DIR       binary in DIR/bin, handlers in DIR/lib/quicflow/handlers [/usr/local]
  --config-dir DIR   agent.conf and agent.conf.example [/etc/quicflow]
  --data-dir DIR     the outbox and state, mode 0700 [/var/lib/quicflow-agent]
  --unit-dir DIR     where the systemd unit goes [/etc/systemd/system]
  --user NAME        account the agent runs as, created if missing [quicflow]
  --binary FILE      install this binary instead of building one (installs
                     only the runtime libraries it needs, no -dev packages)
  --start            start the service now (default: enable only)
  --no-systemctl     install the unit file but do not call systemctl
  -h, --help         print this text

agent.conf is written from agent.conf.example, owned by root and the user's
group, mode 0640: the agent reads it but cannot rewrite it. It keeps the
example's placeholder server address (backbone.example.com), so
`quicflow-agent check-config` fails until you edit it. An existing agent.conf
or handler is never overwritten.
EOF
}

cd "$(dirname "$0")/.."

prefix=/usr/local
config_dir=/etc/quicflow
data_dir=/var/lib/quicflow-agent
unit_dir=/etc/systemd/system
user=quicflow
binary=""
start=0
systemctl=1
need_value() {
  if [ "$2" -lt 2 ]; then echo "install-agent.sh: $1 needs a value (see --help)" >&2; exit 64; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) need_value "$1" $#; prefix=$2; shift 2 ;;
    --config-dir) need_value "$1" $#; config_dir=$2; shift 2 ;;
    --data-dir) need_value "$1" $#; data_dir=$2; shift 2 ;;
    --unit-dir) need_value "$1" $#; unit_dir=$2; shift 2 ;;
    --user) need_value "$1" $#; user=$2; shift 2 ;;
    --binary) need_value "$1" $#; binary=$2; shift 2 ;;
    --start) start=1; shift ;;
    --no-systemctl) systemctl=0; shift ;;
    -h|--help) usage; exit 0 ;;
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

if [ -z "$binary" ]; then
  # Building needs the libraries' headers (the -dev packages pull in the
  # runtime libraries too).
  bash scripts/ensure-packages.sh libngtcp2-crypto-gnutls-dev libngtcp2-dev libgnutls28-dev libsqlite3-dev
  echo "install-agent.sh: building quicflow-agent (release)"
  # The Swift runtime linked in: no Swift libraries needed on the device, and
  # `quicflow-agent send` starts in ~16 ms instead of ~23 ms (quicflow-bench outbox).
  swift build -c release --product quicflow-agent --static-swift-stdlib --scratch-path .build-static
  binary="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/quicflow-agent"
else
  # A prebuilt binary needs only the runtime libraries it links: the
  # Depends of the Debian package, listed in scripts/deb/agent-runtime-packages.
  # shellcheck disable=SC2046
  bash scripts/ensure-packages.sh $(grep -v '^#' scripts/deb/agent-runtime-packages)
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

# The configuration names the executables the agent runs: owned by root,
# readable by the agent's group, so the agent reads it but cannot rewrite it.
config="$config_dir/agent.conf"
$sudo install -d -m 0755 "$config_dir"
$sudo install -m 0644 agent.conf.example "$config_dir/agent.conf.example"
if [ ! -e "$config" ]; then
  tmp=$(mktemp)
  sed -e "s|^# data_dir = \"/var/lib/quicflow-agent\"|data_dir = \"$data_dir\"|" \
      -e "s|/usr/local/lib/quicflow/handlers|$prefix/lib/quicflow/handlers|g" \
      agent.conf.example > "$tmp"
  $sudo install -m 0640 -o root -g "$group" "$tmp" "$config"
  rm -f "$tmp"
  echo "install-agent.sh: wrote $config (root:$group, mode 0640)"
elif [ "$(stat -c %U "$config")" = "$user" ] && [ "$user" != root ]; then
  # Written by an earlier version of this script, owned by the agent's user.
  $sudo chown "root:$group" "$config"
  $sudo chmod 0640 "$config"
  echo "install-agent.sh: $config is now root:$group, mode 0640 (was owned by $user)"
fi
$sudo install -d -m 0700 -o "$user" -g "$group" "$data_dir"

unit="$unit_dir/quicflow-agent.service"
tmp=$(mktemp)
sed -e "s|@USER@|$user|g" -e "s|@GROUP@|$group|g" -e "s|@BINDIR@|$prefix/bin|g" \
    -e "s|@CONFIG@|$config|g" scripts/quicflow-agent.service > "$tmp"
$sudo install -m 0644 "$tmp" "$unit"
rm -f "$tmp"

systemd=0
if [ "$systemctl" = 1 ] && [ -d /run/systemd/system ]; then
  systemd=1
  $sudo systemctl daemon-reload
  $sudo systemctl enable quicflow-agent.service
  if [ "$start" = 1 ]; then
    $sudo systemctl restart quicflow-agent.service
  fi
else
  echo "install-agent.sh: systemd is not running here; installed $unit without enabling it"
fi

echo "install-agent.sh: installed $prefix/bin/quicflow-agent (run as $user, data in $data_dir)"
# The configuration is checked, not required to pass: a fresh one still holds
# the example's placeholders, which check-config refuses until they are edited.
check=("$prefix/bin/quicflow-agent" check-config --config "$config")
if $sudo "${check[@]}"; then
  if [ "$systemd" = 1 ] && [ "$start" = 0 ]; then
    echo "install-agent.sh: start it with: sudo systemctl start quicflow-agent"
  fi
else
  cat <<EOF
install-agent.sh: $config is not ready yet (see above). Edit it:
  set [server] address to your backbone instead of the placeholder
  backbone.example.com:8474 (and, normally, ca_file to its CA), and fix
  whatever else check-config reported. The check passes once the
  placeholders are replaced:
    sudo ${check[*]}
EOF
  if [ "$systemd" = 1 ]; then
    echo "  then: sudo systemctl start quicflow-agent"
  fi
fi
exit 0
