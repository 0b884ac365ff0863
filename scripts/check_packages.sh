#!/usr/bin/env bash
# Checks the .deb files scripts/package.sh made (target/debian/): their
# control fields, that each holds its binary, unit, settings and maintainer
# scripts, that the binary runs, and systemd's own check of each unit
# (systemd-analyze verify, with ExecStart pointed at the extracted binary).
# Exits non-zero naming what is wrong.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check_packages: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for name in agent hub relay; do
  package="sysmonstm-$name"
  deb="$(ls target/debian/${package}_*.deb 2>/dev/null | head -1)"
  [ -n "$deb" ] || fail "no $package package in target/debian (run scripts/package.sh)"
  info="$(dpkg-deb --info "$deb")"
  for field in "Package: $package" "Architecture: $(dpkg --print-architecture)" "Depends: .*adduser" "Section: admin"; do
    grep -Eq "^ *$field" <<<"$info" || fail "$deb: no '$field' in its control file"
  done
  contents="$(dpkg-deb --contents "$deb")"
  for file in "./usr/bin/$package" "./usr/lib/systemd/system/$package.service" "./etc/sysmonstm/$name.env"; do
    grep -q " $file\$" <<<"$contents" || fail "$deb does not install $file"
  done
  root="$work/$name"
  dpkg-deb --extract "$deb" "$root"
  dpkg-deb --control "$deb" "$root/DEBIAN"
  grep -q "^/etc/sysmonstm/$name.env\$" "$root/DEBIAN/conffiles" || fail "$deb: its settings are not a conffile"
  grep -q "adduser --system" "$root/DEBIAN/postinst" || fail "$deb: postinst makes no system user"
  "$root/usr/bin/$package" --help >/dev/null || fail "$deb: its binary does not run"
  unit="$root/usr/lib/systemd/system/$package.service"
  for line in "User=$package" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "CapabilityBoundingSet=" "EnvironmentFile=/etc/sysmonstm/$name.env"; do
    grep -qx "$line" "$unit" || fail "$unit lacks $line"
  done
  sed "s|^ExecStart=/usr/bin/|ExecStart=$root/usr/bin/|" "$unit" >"$work/$package.service"
  said="$(systemd-analyze verify "$work/$package.service" 2>&1)" || fail "systemd-analyze verify $package.service: $said"
  if grep -q "$package" <<<"$said"; then fail "systemd-analyze verify $package.service: $said"; fi
  # The agent and the hub are enabled and started on a new install; the
  # relay, which cannot start without its key, only kept as it was.
  if [ "$name" = relay ]; then
    if grep -q "debian-installed $package.service" "$root/DEBIAN/postinst" && ! grep -q "_dh_action=start" "$root/DEBIAN/postinst"; then :; else
      fail "$deb: postinst enables or starts the relay on a new install"
    fi
  else
    grep -q "was-enabled defaults to true" "$root/DEBIAN/postinst" || fail "$deb: postinst does not enable its unit"
    grep -q "_dh_action=start" "$root/DEBIAN/postinst" || fail "$deb: postinst does not start its unit"
  fi
  echo "ok $deb ($(du -h "$deb" | cut -f1))"
done
