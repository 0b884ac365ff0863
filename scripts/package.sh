#!/usr/bin/env bash
# Builds the Debian packages of the agent, the hub and the relay with
# cargo-deb (installed first if missing) into target/debian/:
#   scripts/package.sh            # the dist profile: what users run
#   scripts/package.sh PROFILE    # another cargo profile (the suite uses package-check)
# Each holds its binary, a hardened systemd unit (enabled and started on
# install, except the relay, which needs its API key first), its default
# settings in /etc/sysmonstm/, and makes its own system user; see
# packaging/README.md. Install one with: sudo apt install ./target/debian/sysmonstm-hub_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${1:-dist}"
packages=(sysmonstm-agent sysmonstm-hub sysmonstm-relay)
out=target/debian

if ! cargo deb --version >/dev/null 2>&1; then
  echo "==> installing cargo-deb"
  cargo install cargo-deb --locked --no-default-features
fi
echo "==> building ${packages[*]} (profile $profile)"
cargo build --profile "$profile" --locked $(printf -- '-p %s ' "${packages[@]}") --bins
mkdir -p "$out"
for package in "${packages[@]}"; do
  rm -f "$out/${package}"_*.deb
  cargo deb --no-build --profile "$profile" -p "$package" --output "$out/" --quiet
done
echo "==> packages in $out:"
ls -l "$out"/*.deb
