#!/bin/sh
# sysmonstm agent installer, served by a sysmonstm hub at /install.sh.
#
#   curl -fsSL HUB/install.sh | sudo sh -s -- --token TOKEN --machine-id web-3
#
# Downloads the agent from the hub, checks its SHA-256, installs it to
# PREFIX/bin, writes the token to a file only root can read, and installs
# and starts the systemd unit sysmonstm-agent.service. Run with --help for
# every option; --uninstall removes everything it installed.
set -eu

HUB_URL=@HUB_URL@
GRPC_URL=@GRPC_URL@
HUB_ARCH=@ARCH@

prefix=/usr/local
token=
machine_id=
service=yes
uninstall=no
download_from=
unit_dir=/etc/systemd/system

usage() {
  cat <<USAGE
Installs the sysmonstm agent from the hub at $HUB_URL.

Usage: sh install.sh [--token TOKEN] [--machine-id ID] [options]

  --token TOKEN        agent token the hub accepts (from the dashboard's Add machine); none
                       when the hub takes any agent
  --machine-id ID      this machine's id on the dashboard [default: the hostname]
  --label KEY=VALUE    a label for this machine (env=prod); repeatable. Keys a-z, 0-9, '_',
                       '.', '-'; values letters, digits and . _ : / @ + -
  --hub URL            gRPC URL the agent connects to [default: $GRPC_URL]
  --prefix DIR         install under DIR/bin, configuration under DIR/etc/sysmonstm
                       [default: /usr/local, configuration in /etc/sysmonstm]
  --no-service         install only: no systemd unit, nothing started (containers, tests)
  --download-from URL  download the agent and its checksum from URL instead of the hub (a mirror)
  --unit-dir DIR       where the systemd unit goes [default: /etc/systemd/system]
  --uninstall          remove what an earlier run installed (same --prefix)
  -h, --help           this text
USAGE
}

say() { printf 'sysmonstm: %s\n' "$*"; }
die() { printf 'sysmonstm: error: %s\n' "$*" >&2; exit 1; }

# Labels, comma-separated as SYSMONSTM_LABELS takes them. Values are kept to
# characters that need no quoting in agent.env (systemd's EnvironmentFile).
labels=
add_label() {
  case "$1" in
    *=*) ;;
    *) die "--label '$1' is not KEY=VALUE (like env=prod)" ;;
  esac
  key=${1%%=*}
  value=${1#*=}
  case "$key" in
    ''|*[!a-z0-9_.-]*) die "--label '$1': keys use a-z, 0-9, '_', '.' and '-'" ;;
  esac
  [ ${#key} -le 64 ] || die "--label '$1': the key is longer than 64 characters"
  case "$value" in
    *[!A-Za-z0-9._:/@+-]*) die "--label '$1': values here use letters, digits and . _ : / @ + - (set others on the dashboard)" ;;
  esac
  [ ${#value} -le 256 ] || die "--label '$1': the value is longer than 256 characters"
  labels=${labels:+$labels,}$key=$value
}

while [ $# -gt 0 ]; do
  case "$1" in
    --token) [ $# -ge 2 ] || die "--token needs a value"; token=$2; shift 2 ;;
    --token=*) token=${1#*=}; shift ;;
    --machine-id) [ $# -ge 2 ] || die "--machine-id needs a value"; machine_id=$2; shift 2 ;;
    --machine-id=*) machine_id=${1#*=}; shift ;;
    --label) [ $# -ge 2 ] || die "--label needs a value"; add_label "$2"; shift 2 ;;
    --label=*) add_label "${1#*=}"; shift ;;
    --hub) [ $# -ge 2 ] || die "--hub needs a value"; GRPC_URL=$2; shift 2 ;;
    --hub=*) GRPC_URL=${1#*=}; shift ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --download-from) [ $# -ge 2 ] || die "--download-from needs a value"; download_from=$2; shift 2 ;;
    --download-from=*) download_from=${1#*=}; shift ;;
    --unit-dir) [ $# -ge 2 ] || die "--unit-dir needs a value"; unit_dir=$2; shift 2 ;;
    --unit-dir=*) unit_dir=${1#*=}; shift ;;
    --no-service) service=no; shift ;;
    --uninstall) uninstall=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

prefix=${prefix%/}
if [ "$prefix" = /usr/local ] || [ "$prefix" = /usr ]; then
  confdir=/etc/sysmonstm
else
  confdir=$prefix/etc/sysmonstm
fi
bin=$prefix/bin/sysmonstm-agent
unit=${unit_dir%/}/sysmonstm-agent.service
manifest=$confdir/installed-files
dirs_manifest=$confdir/installed-dirs

if [ "$uninstall" = yes ]; then
  [ -f "$manifest" ] || die "nothing to uninstall: no $manifest (was it installed with another --prefix?)"
  if [ "$service" = yes ] && grep -qx "$unit" "$manifest" && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now sysmonstm-agent.service >/dev/null 2>&1 || true
  fi
  while IFS= read -r path; do
    rm -f "$path"
  done <"$manifest"
  created=
  [ -f "$dirs_manifest" ] && created=$(cat "$dirs_manifest")
  rm -f "$manifest" "$dirs_manifest"
  # The directories this installer made, deepest first, if nothing else is in them.
  printf '%s\n' "$created" | while IFS= read -r dir; do
    [ -n "$dir" ] && rmdir "$dir" 2>/dev/null || true
  done
  [ "$service" = yes ] && command -v systemctl >/dev/null 2>&1 && systemctl daemon-reload >/dev/null 2>&1 || true
  say "uninstalled the agent from $prefix"
  exit 0
fi

if [ -z "$machine_id" ]; then
  machine_id=$(hostname 2>/dev/null || uname -n)
fi
case "$machine_id" in
  ''|*[!A-Za-z0-9._-]*) die "--machine-id '$machine_id' may hold only letters, digits, '.', '_' and '-'" ;;
esac

arch=$(uname -m)
[ "$arch" = "$HUB_ARCH" ] || die "this machine is $arch, the hub has the agent for $HUB_ARCH only; build the agent for $arch (cargo build --release -p sysmonstm-agent) and install it by hand"
if [ "$service" = yes ]; then
  command -v systemctl >/dev/null 2>&1 || die "no systemctl on this machine: rerun with --no-service and start $bin yourself"
  [ "$(id -u)" = 0 ] || die "installing the service needs root: pipe into 'sudo sh -s -- …'"
fi

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "neither curl nor wget is installed"
  fi
}
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor shasum is installed: cannot check the download"
  fi
}

source_url=${download_from:-$HUB_URL/download}
source_url=${source_url%/}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
say "downloading the agent from $source_url"
fetch "$source_url/sysmonstm-agent" "$work/sysmonstm-agent" || die "could not download $source_url/sysmonstm-agent"
fetch "$source_url/sysmonstm-agent.sha256" "$work/sha256" || die "could not download $source_url/sysmonstm-agent.sha256"
expected=$(cut -d' ' -f1 <"$work/sha256")
actual=$(sha256_of "$work/sysmonstm-agent")
[ -n "$expected" ] && [ "$expected" = "$actual" ] || die "checksum mismatch: expected $expected, the download has $actual; nothing was installed"

# Directories made here are removed again by --uninstall (deepest first).
created=
for dir in "$prefix" "$prefix/bin" "${confdir%/sysmonstm}" "$confdir"; do
  [ -d "$dir" ] || created="$dir
$created"
done
mkdir -p "$prefix/bin" "$confdir"
printf '%s' "$created" >"$dirs_manifest"
install -m 0755 "$work/sysmonstm-agent" "$bin"
if [ -n "$token" ]; then
  old_umask=$(umask)
  umask 077
  printf '%s\n' "$token" >"$confdir/agent.token"
  umask "$old_umask"
  chmod 0600 "$confdir/agent.token"
  printf '%s\n' "$confdir/agent.token" >"$manifest"
else
  say "no --token: the hub must accept any agent"
  : >"$manifest"
fi
cat >"$confdir/agent.env" <<ENV
# sysmonstm agent settings (see: sysmonstm-agent --help); written by install.sh
SYSMONSTM_HUB=$GRPC_URL
SYSMONSTM_MACHINE_ID=$machine_id
ENV
if [ -n "$labels" ]; then
  printf 'SYSMONSTM_LABELS=%s\n' "$labels" >>"$confdir/agent.env"
fi
printf '%s\n' "$bin" "$confdir/agent.env" >>"$manifest"

if [ "$service" = no ]; then
  say "installed $bin (no service); run it with:"
  if [ -n "$token" ]; then
    say "  env \$(grep -v '^#' $confdir/agent.env | xargs) SYSMONSTM_TOKEN_FILE=$confdir/agent.token $bin"
  else
    say "  env \$(grep -v '^#' $confdir/agent.env | xargs) $bin"
  fi
  exit 0
fi

credential=
if [ -n "$token" ]; then
  # The token stays readable by root only; the service reads its credential copy.
  credential="LoadCredential=agent-token:$confdir/agent.token
Environment=SYSMONSTM_TOKEN_FILE=%d/agent-token"
fi
cat >"$unit" <<UNIT
[Unit]
Description=sysmonstm agent: streams this machine's metrics to a sysmonstm hub
Documentation=$HUB_URL
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile=$confdir/agent.env
$credential
ExecStart=$bin
Restart=always
RestartSec=5
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
CapabilityBoundingSet=
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
UNIT
printf '%s\n' "$unit" >>"$manifest"
systemctl daemon-reload
systemctl enable --now sysmonstm-agent.service
say "installed and started sysmonstm-agent.service: $machine_id reports to $GRPC_URL"
say "  logs: journalctl -u sysmonstm-agent -f    remove: sh install.sh --uninstall"
