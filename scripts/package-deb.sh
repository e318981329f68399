#!/usr/bin/env bash
# Builds the Debian packages quicflow-agent_VERSION_ARCH.deb and
# quicflow-server_VERSION_ARCH.deb (VERSION from the file VERSION, ARCH from
# dpkg --print-architecture). See usage() for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/package-deb.sh [options]

Builds quicflow-agent_VERSION_ARCH.deb and quicflow-server_VERSION_ARCH.deb
(VERSION from the file VERSION, ARCH from `dpkg --print-architecture`).
The binaries are release builds with the Swift runtime linked in
(--static-swift-stdlib, scratch path .build-static); Depends lists the
runtime libraries they link, found with readelf, ldd and dpkg -S.

Options:
  --agent-only       build only quicflow-agent_VERSION_ARCH.deb
  --server-only      build only quicflow-server_VERSION_ARCH.deb
  --out DIR          where the .deb files go [dist in the repository]
  --binary-dir DIR   package the binaries in DIR (quicflow-agent; quicflow-server
                     and quicflowctl for the server) instead of building them
  --compression TYPE xz (smallest, the default), zstd (a few seconds instead
                     of a minute or two per package; dpkg 1.21.18 or later
                     installs it), gzip or none
  -h, --help         print this text

Environment:
  DEB_MAINTAINER     the Maintainer field [QuicFlow maintainers <maintainers@quicflow.invalid>]
EOF
}

say() { echo "package-deb.sh: $*"; }
die() { echo "package-deb.sh: $*" >&2; exit 1; }

start_dir=$PWD
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$start_dir/$1" ;; esac; }

agent=1
server=1
out=""
binary_dir=""
compression=xz
while [ $# -gt 0 ]; do
  case "$1" in
    --agent-only) agent=1; server=0; shift ;;
    --server-only) agent=0; server=1; shift ;;
    --out)
      [ $# -ge 2 ] || { echo "package-deb.sh: --out needs a directory" >&2; exit 64; }
      out=$2; shift 2 ;;
    --binary-dir)
      [ $# -ge 2 ] || { echo "package-deb.sh: --binary-dir needs a directory" >&2; exit 64; }
      binary_dir=$(absolute "$2"); shift 2 ;;
    --compression)
      [ $# -ge 2 ] || { echo "package-deb.sh: --compression needs a type" >&2; exit 64; }
      case "$2" in
        xz|zstd|gzip|none) compression=$2 ;;
        *) echo "package-deb.sh: --compression takes xz, zstd, gzip or none, not $2" >&2; exit 64 ;;
      esac
      shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "package-deb.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
done
if [ -n "$out" ]; then out=$(absolute "$out"); fi

cd "$(dirname "$0")/.."
if [ -z "$out" ]; then out="$PWD/dist"; fi
umask 022

version=$(tr -d '[:space:]' < VERSION)
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "VERSION holds '$version', not a Debian upstream version"
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-QuicFlow maintainers <maintainers@quicflow.invalid>}
homepage=https://github.com/quicflow/quicflow-swift
user=quicflow
group=quicflow

products=()
if [ "$agent" = 1 ]; then products+=(quicflow-agent); fi
if [ "$server" = 1 ]; then products+=(quicflow-server quicflowctl); fi

if [ -z "$binary_dir" ]; then
  for product in "${products[@]}"; do
    say "building $product $version (release, Swift runtime linked in)"
    swift build -c release --product "$product" --static-swift-stdlib --scratch-path .build-static
  done
  binary_dir=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
fi
for product in "${products[@]}"; do
  [ -x "$binary_dir/$product" ] || die "$binary_dir/$product is not an executable"
  # A binary from another release would be packaged under the wrong version.
  if reported=$("$binary_dir/$product" --version 2>/dev/null); then
    [ "${reported%% *}" = "$version" ] ||
      die "$binary_dir/$product --version says '$reported', VERSION says $version"
  else
    say "warning: $binary_dir/$product has no --version; cannot check it is $version"
  fi
done

# The Debian package owning one shared library, as ldd resolved it. On a
# merged-/usr system ldd may name /lib/... or /usr/lib/... while dpkg
# registered the other spelling, so both are tried (and the symlink's target).
owning_package() {
  local path=$1 candidate real pkg
  real=$(readlink -f "$path")
  for candidate in "$path" "$real" "${path#/usr}" "/usr${path#/usr}" "${real#/usr}" "/usr${real#/usr}"; do
    if pkg=$(dpkg-query -S "$candidate" 2>/dev/null | grep -v '^diversion by' | head -n 1); then
      if [ -n "$pkg" ]; then
        pkg=${pkg%%: /*}
        echo "${pkg%%:*}"
        return 0
      fi
    fi
  done
  return 1
}

# Depends: the packages of the shared libraries the binaries link directly
# (their NEEDED entries); each library package brings its own dependencies.
runtime_depends() {
  local bin ldd_out lib path pkg
  local -a pkgs=()
  for bin in "$@"; do
    ldd_out=$(ldd "$bin") || die "ldd $bin failed"
    if grep -q 'not found' <<<"$ldd_out"; then
      die "$bin needs libraries this machine lacks: $(grep 'not found' <<<"$ldd_out" | tr -s ' \t' ' ')"
    fi
    while read -r lib; do
      # "libfoo.so.1 => /path (0x...)", or "/path (0x...)" for the dynamic loader.
      path=$(awk -v lib="$lib" '
        $1 == lib && $2 == "=>" { print $3; exit }
        substr($1, 1, 1) == "/" && substr($1, length($1) - length(lib)) == "/" lib { print $1; exit }
      ' <<<"$ldd_out")
      [ -n "$path" ] || die "ldd does not resolve $lib, which $bin needs"
      pkg=$(owning_package "$path") ||
        die "$path ($lib, needed by $bin) belongs to no Debian package (was it built with --static-swift-stdlib?)"
      case "$pkg" in
        *-dev) die "$lib resolves to $path of the development package $pkg; Depends takes runtime packages only" ;;
      esac
      pkgs+=("$pkg")
    done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
  done
  printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, - | sed 's/,/, /g'
}

# Fills in the @PLACEHOLDERS@ of a template; fails on any left over.
render() {
  local template=$1 target=$2 mode=$3
  shift 3
  local -a expressions=()
  local pair
  for pair in "$@"; do expressions+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
  sed "${expressions[@]}" "$template" > "$target"
  if grep -n '@[A-Z_]\+@' "$target" >&2; then die "$template: placeholders left unfilled in $target"; fi
  chmod "$mode" "$target"
}

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$out"

# build_package NAME: the tree in $staging/NAME/root is complete but for
# DEBIAN/control and md5sums; writes the .deb and lints it.
build_package() {
  local name=$1 description=$2 depends=$3
  local root="$staging/$name/root" deb="$out/${name}_${version}_${arch}.deb"
  local size
  size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: $maintainer"
    echo "Installed-Size: $size"
    echo "Depends: $depends"
    echo "Section: net"
    echo "Priority: optional"
    echo "Homepage: $homepage"
    echo "Description: $description"
  } > "$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums" "$root/DEBIAN/conffiles"
  rm -f "$deb"
  dpkg-deb --build --root-owner-group -Z"$compression" "$root" "$deb" >/dev/null
  say "built $deb (Depends: $depends)"
  lint "$deb"
}

# Checks a built package: control fields, modes and owners of what it ships.
lint() {
  local deb=$1 name field contents line
  name=$(dpkg-deb --field "$deb" Package)
  dpkg-deb --info "$deb"
  contents=$(dpkg-deb --contents "$deb")
  echo "$contents"
  for field in Package Version Architecture Maintainer Depends Description; do
    [ -n "$(dpkg-deb --field "$deb" "$field")" ] || die "$deb: no $field field"
  done
  if dpkg-deb --field "$deb" Depends | tr ',' '\n' | grep -q -- '-dev\b'; then
    die "$deb: Depends names a development package"
  fi
  while read -r line; do
    [ -n "$line" ] || continue
    # "MODE OWNER PATH" must appear as dpkg-deb --contents lists it.
    awk -v want="$line" '{ if ($1 " " $2 " " $6 == want) found = 1 } END { exit !found }' <<<"$contents" ||
      die "$deb: expected '$line' in its contents"
  done < <(expected_contents "$name")
  [ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/quicflow/${name#quicflow-}.conf" ] ||
    die "$deb: conffiles is not /etc/quicflow/${name#quicflow-}.conf"
  if command -v lintian >/dev/null; then
    # Informational: a locally built binary package has no changelog or
    # copyright file, which lintian reports.
    lintian --no-tag-display-limit "$deb" || true
  fi
}

expected_contents() {
  case "$1" in
    quicflow-agent) cat <<'EOF'
-rwxr-xr-x root/root ./usr/bin/quicflow-agent
-rwxr-xr-x root/root ./usr/lib/quicflow/handlers/command
-rw-r----- root/root ./etc/quicflow/agent.conf
-rw-r--r-- root/root ./usr/share/doc/quicflow-agent/agent.conf.example
-rw-r--r-- root/root ./lib/systemd/system/quicflow-agent.service
EOF
    ;;
    quicflow-server) cat <<'EOF'
-rwxr-xr-x root/root ./usr/bin/quicflow-server
-rwxr-xr-x root/root ./usr/bin/quicflowctl
-rw-r----- root/root ./etc/quicflow/server.conf
-rw-r--r-- root/root ./usr/share/doc/quicflow-server/server.conf.example
-rw-r--r-- root/root ./lib/systemd/system/quicflow-server.service
EOF
    ;;
  esac
}

# The maintainer scripts of one package, from scripts/deb/.
maintainer_scripts() {
  local name=$1 other=$2 data_dir=$3 root="$staging/$1/root" script
  for script in postinst prerm postrm; do
    render "scripts/deb/$script" "$root/DEBIAN/$script" 0755 \
      PACKAGE="$name" OTHER_PACKAGE="$other" USER="$user" GROUP="$group" \
      DATA_DIR="$data_dir" CONFIG_DIR=/etc/quicflow CONFIG="/etc/quicflow/${name#quicflow-}.conf" \
      UNIT="$name.service"
  done
}

if [ "$agent" = 1 ]; then
  name=quicflow-agent
  root="$staging/$name/root"
  install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/quicflow/handlers" \
    "$root/etc/quicflow" "$root/usr/share/doc/$name" "$root/lib/systemd/system"
  install -m 0755 "$binary_dir/quicflow-agent" "$root/usr/bin/quicflow-agent"
  # Owned by root and not writable by others, as the agent requires of handlers.
  install -m 0755 scripts/handlers/command "$root/usr/lib/quicflow/handlers/command"
  install -m 0644 agent.conf.example "$root/usr/share/doc/$name/agent.conf.example"
  # The configuration keeps the example's placeholder server address, so
  # check-config fails until it is edited. Shipped 0640 root:root; postinst
  # makes it root:quicflow (readable by the agent, not rewritable).
  conf="$root/etc/quicflow/agent.conf"
  sed -e 's|^# data_dir = "/var/lib/quicflow-agent"|data_dir = "/var/lib/quicflow-agent"|' \
      -e 's|/usr/local/lib/quicflow/handlers|/usr/lib/quicflow/handlers|g' \
      agent.conf.example > "$conf"
  chmod 0640 "$conf"
  grep -q '^data_dir = "/var/lib/quicflow-agent"$' "$conf" ||
    die "agent.conf.example no longer has the line '# data_dir = \"/var/lib/quicflow-agent\"' to enable"
  if grep -q '/usr/local/' "$conf"; then die "agent.conf still names /usr/local paths"; fi
  echo /etc/quicflow/agent.conf > "$root/DEBIAN/conffiles"
  render scripts/quicflow-agent.service "$root/lib/systemd/system/quicflow-agent.service" 0644 \
    USER="$user" GROUP="$group" BINDIR=/usr/bin CONFIG=/etc/quicflow/agent.conf
  maintainer_scripts "$name" quicflow-server /var/lib/quicflow-agent
  depends=$(runtime_depends "$binary_dir/quicflow-agent")
  # install-agent.sh --binary installs the packages of this list: keep it in step.
  listed=$(grep -v '^#' scripts/deb/agent-runtime-packages | sort -u | paste -sd, - | sed 's/,/, /g')
  [ "$depends" = "$listed" ] ||
    die "quicflow-agent links the libraries of: $depends; scripts/deb/agent-runtime-packages lists: $listed. Update that list (install-agent.sh --binary installs it)"
  build_package "$name" "QuicFlow device agent
 Keeps one reconnecting QUIC session to a QuicFlow backbone, holds everything
 the device sends in a SQLite outbox until the backbone acknowledges it, and
 answers the backbone's commands with executables (handlers). Runs as the
 system user quicflow; edit /etc/quicflow/agent.conf, then start
 quicflow-agent.service." "$depends"
fi

if [ "$server" = 1 ]; then
  name=quicflow-server
  root="$staging/$name/root"
  install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/etc/quicflow" \
    "$root/usr/share/doc/$name" "$root/lib/systemd/system"
  install -m 0755 "$binary_dir/quicflow-server" "$root/usr/bin/quicflow-server"
  install -m 0755 "$binary_dir/quicflowctl" "$root/usr/bin/quicflowctl"
  install -m 0644 server.conf.example "$root/usr/share/doc/$name/server.conf.example"
  conf="$root/etc/quicflow/server.conf"
  sed -e 's|^# data_dir = "/var/lib/quicflow-server"|data_dir = "/var/lib/quicflow-server"|' \
      server.conf.example > "$conf"
  chmod 0640 "$conf"
  grep -q '^data_dir = "/var/lib/quicflow-server"$' "$conf" ||
    die "server.conf.example no longer has the line '# data_dir = \"/var/lib/quicflow-server\"' to enable"
  echo /etc/quicflow/server.conf > "$root/DEBIAN/conffiles"
  render scripts/quicflow-server.service "$root/lib/systemd/system/quicflow-server.service" 0644 \
    USER="$user" GROUP="$group" BINDIR=/usr/bin CONFIG=/etc/quicflow/server.conf
  maintainer_scripts "$name" quicflow-agent /var/lib/quicflow-server
  depends=$(runtime_depends "$binary_dir/quicflow-server" "$binary_dir/quicflowctl")
  build_package "$name" "QuicFlow backbone server and its admin client
 quicflow-server accepts QuicFlow agents over QUIC (optionally with mutual
 TLS), routes their messages, queues messages for offline devices and serves
 an admin HTTP API; quicflowctl drives that API and makes the fleet's
 certificates. Runs as the system user quicflow; put a certificate and key
 in /etc/quicflow/pki (readable by quicflow), then start
 quicflow-server.service." "$depends"
fi
