#!/usr/bin/env bash
# Process-level check of the agent's Debian package on this machine: builds
# it (scripts/package-deb.sh --agent-only), installs it with dpkg -i, runs the
# installed agent, checks the account, modes and owners it set up, reinstalls
# it, removes it, purges it and checks that nothing of it is left. Needs root
# (or sudo). See usage() for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/check-deb.sh [--binary-dir DIR]

Builds quicflow-agent_VERSION_ARCH.deb, installs it on this machine with
dpkg -i, checks the installed agent (--version; check-config refuses the
example's placeholder server address with exit 78; /etc/quicflow/agent.conf
root:quicflow 0640; /var/lib/quicflow-agent quicflow 0700), reinstalls,
removes and purges it, and checks that the quicflow user, the data directory
and the configuration are gone. Whatever it installed is purged on failure too.

Refuses to run (exit 1) where quicflow-agent or quicflow-server is installed
or the quicflow user, /etc/quicflow/agent.conf or /var/lib/quicflow-agent
already exist: the purge would delete them.

Options:
  --binary-dir DIR   package DIR/quicflow-agent instead of building it
  -h, --help         print this text
EOF
}

# zstd: the package is installed here only, and xz would take a minute or two.
package_args=(--agent-only --compression zstd)
while [ $# -gt 0 ]; do
  case "$1" in
    --binary-dir)
      [ $# -ge 2 ] || { echo "check-deb.sh: --binary-dir needs a directory" >&2; exit 64; }
      dir=$2
      case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
      package_args+=(--binary-dir "$dir"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check-deb.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

package=quicflow-agent
user=quicflow
config=/etc/quicflow/agent.conf
data_dir=/var/lib/quicflow-agent
agent=/usr/bin/quicflow-agent
version=$(tr -d '[:space:]' < VERSION)

installed_status() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true; }

# This check installs and purges; it must not destroy what someone else set up.
refuse() { echo "check-deb.sh: $* — not touching this machine; run it where QuicFlow is not installed" >&2; exit 1; }
for pkg in quicflow-agent quicflow-server; do
  status=$(installed_status "$pkg")
  if [ -n "$status" ] && [ "$status" != not-installed ]; then refuse "the package $pkg is already on this machine ($status)"; fi
done
if getent passwd "$user" >/dev/null || getent group "$user" >/dev/null; then refuse "the user or group $user already exists"; fi
if [ -e "$config" ]; then refuse "$config already exists"; fi
if [ -e "$data_dir" ]; then refuse "$data_dir already exists"; fi
config_dir_existed=0
if [ -e /etc/quicflow ]; then config_dir_existed=1; fi

work=$(mktemp -d)
installed=0
cleanup() {
  local status=$?
  if [ "$installed" = 1 ]; then
    $sudo dpkg --purge "$package" >/dev/null 2>&1 || true
    # Whatever a failed purge left behind (nothing of this existed before).
    if getent passwd "$user" >/dev/null; then $sudo userdel "$user" 2>/dev/null || true; fi
    if getent group "$user" >/dev/null; then $sudo groupdel "$user" 2>/dev/null || true; fi
    $sudo rm -rf "$data_dir"
    $sudo rm -f "$config" "$config".dpkg-*
    if [ "$config_dir_existed" = 0 ]; then $sudo rmdir /etc/quicflow 2>/dev/null || true; fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0
pass() { echo "check-deb.sh: ok: $*"; }
fail() { echo "check-deb.sh: FAIL: $*" >&2; failures=$((failures + 1)); }
# expect DESCRIPTION WANTED ACTUAL
expect() { if [ "$2" = "$3" ]; then pass "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi; }
# as_agent_user COMMAND...: runs it as the account the unit runs the agent as.
as_agent_user() { $sudo setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"; }

SECONDS=0
bash scripts/package-deb.sh "${package_args[@]}" --out "$work" >"$work/package.log" 2>&1 || {
  cat "$work/package.log" >&2
  echo "check-deb.sh: scripts/package-deb.sh failed" >&2
  exit 1
}
deb=$(ls "$work"/${package}_"$version"_*.deb)
echo "check-deb.sh: built $deb ($(du -h "$deb" | cut -f1)) in ${SECONDS}s"
echo "check-deb.sh: Depends: $(dpkg-deb --field "$deb" Depends)"

installed=1
$sudo dpkg -i "$deb"
expect "dpkg status after dpkg -i" installed "$(installed_status "$package")"

# --version: the release in VERSION.
if reported=$("$agent" --version 2>&1); then
  expect "quicflow-agent --version names VERSION" "$version" "${reported%% *}"
else
  fail "quicflow-agent --version exited non-zero: $reported"
fi

# The installed configuration keeps the example's placeholder server
# address: check-config must refuse it (exit 78) and say so. Run as the
# agent's user, as the unit runs the agent.
set +e
output=$(as_agent_user "$agent" check-config --config "$config" 2>&1)
status=$?
set -e
expect "check-config on the installed config exits 78" 78 "$status"
if grep -q placeholder <<<"$output"; then
  pass "check-config names the placeholder server address"
else
  fail "check-config's output does not mention 'placeholder': $output"
fi

# Owners and modes: the agent reads its configuration but cannot rewrite it.
expect "owner and mode of $config" "root:quicflow 640" "$(stat -c '%U:%G %a' "$config")"
expect "owner and mode of $data_dir" "quicflow:quicflow 700" "$(stat -c '%U:%G %a' "$data_dir")"
expect "owner and mode of the handler" "root:root 755" "$(stat -c '%U:%G %a' /usr/lib/quicflow/handlers/command)"
if as_agent_user test -r "$config" && ! as_agent_user test -w "$config"; then
  pass "$user can read $config and cannot write it"
else
  fail "$user must be able to read $config and not write it"
fi
expect "login shell of $user" /usr/sbin/nologin "$(getent passwd "$user" | cut -d: -f7)"
uid=$(id -u "$user")
if [ "$uid" -lt 1000 ]; then pass "$user is a system account (uid $uid)"; else fail "$user has uid $uid, not a system uid"; fi
expect "the config's data_dir" 'data_dir = "/var/lib/quicflow-agent"' "$(grep '^data_dir' "$config")"
expect "the config's handler path" 'exec = "/usr/lib/quicflow/handlers/command"' \
  "$(grep -m1 '^exec = ' "$config")"
unit=/lib/systemd/system/quicflow-agent.service
expect "the unit's ExecStart" "ExecStart=/usr/bin/quicflow-agent run --config $config" "$(grep '^ExecStart=' "$unit")"
expect "the unit's User" "User=$user" "$(grep '^User=' "$unit")"
expect "the unit's KillMode" "KillMode=mixed" "$(grep '^KillMode=' "$unit")"
expect "the unit's Type" "Type=notify" "$(grep '^Type=' "$unit")"
expect "conffiles" "$config" "$(dpkg-query -W -f='${Conffiles}' "$package" | awk 'NF { print $1 }')"

# Reinstalling (postinst configure with the old version) keeps all of it.
$sudo dpkg -i "$deb" >/dev/null
expect "owner and mode of $config after a reinstall" "root:quicflow 640" "$(stat -c '%U:%G %a' "$config")"
expect "owner and mode of $data_dir after a reinstall" "quicflow:quicflow 700" "$(stat -c '%U:%G %a' "$data_dir")"

# remove: the binary goes; configuration, data and user stay for a reinstall.
$sudo dpkg --remove "$package" >/dev/null
expect "dpkg status after dpkg --remove" config-files "$(installed_status "$package")"
if [ ! -e "$agent" ] && [ -e "$config" ] && [ -d "$data_dir" ] && getent passwd "$user" >/dev/null; then
  pass "remove deleted $agent and kept $config, $data_dir and $user"
else
  fail "after remove: $agent must be gone, $config, $data_dir and $user kept"
fi

# purge: nothing of the package is left.
$sudo dpkg --purge "$package" >/dev/null
expect "dpkg status after dpkg --purge" "" "$(installed_status "$package" | sed 's/^not-installed$//')"
if getent passwd "$user" >/dev/null; then fail "purge left the user $user"; else pass "purge deleted the user $user"; fi
if getent group "$user" >/dev/null; then fail "purge left the group $user"; else pass "purge deleted the group $user"; fi
if [ -e "$data_dir" ]; then fail "purge left $data_dir"; else pass "purge deleted $data_dir"; fi
if [ -e "$config" ]; then fail "purge left $config"; else pass "purge deleted $config"; fi
if [ "$config_dir_existed" = 0 ] && [ -e /etc/quicflow ]; then fail "purge left /etc/quicflow"; fi
if [ -e /usr/lib/quicflow ]; then fail "purge left /usr/lib/quicflow"; fi
installed=0

if [ "$failures" -gt 0 ]; then
  echo "check-deb.sh: $failures check(s) failed" >&2
  exit 1
fi
echo "check-deb.sh: all checks passed in ${SECONDS}s"
