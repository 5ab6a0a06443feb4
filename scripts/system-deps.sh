#!/usr/bin/env bash
# Installs the system packages the tests need, only those that are missing:
#   - PostgreSQL server (Debian "postgresql": /usr/lib/postgresql/*/bin/initdb) for the pg tests
#   - Chromium (/usr/bin/chromium) for the Playwright end-to-end tests (never `playwright install`)
#   - poppler-utils (pdftoppm) to render generated PDFs to images
#   - fonts-wqy-microhei so Chromium draws Chinese in e2e screenshots (not tofu boxes)
#   - nginx, the reverse proxy of deploy/ (TLS, sticky sessions, rate limits), for tests/topology
# Idempotent: does nothing (not even `apt-get update`) when everything is present.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

missing=()

have_initdb=0
for f in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "$f" ]; then have_initdb=1; fi
done
[ "$have_initdb" = 1 ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
WQY=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
[ -f "$WQY" ] || missing+=(fonts-wqy-microhei)
[ -x /usr/sbin/nginx ] || missing+=(nginx)

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: all present (postgresql, chromium, poppler-utils, fonts-wqy-microhei, nginx)"
    exit 0
fi

echo "system-deps: installing ${missing[*]}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "system-deps: missing ${missing[*]} and not root (no sudo): cannot install" >&2
        exit 1
    fi
fi

# Debian's postgresql postinst creates and starts a "main" cluster; the tests start their own
# throwaway clusters, so stop the packaged service from being started (no systemd here anyway).
policy_rc=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy_rc=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy_rc" >/dev/null
    $SUDO chmod +x "$policy_rc"
fi
cleanup() { if [ -n "$policy_rc" ]; then $SUDO rm -f "$policy_rc"; fi; }
trap cleanup EXIT

$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

# Check what we promised.
ok=1
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo "system-deps: initdb still missing" >&2; ok=0; }
[ -x /usr/bin/chromium ] || { echo "system-deps: /usr/bin/chromium still missing" >&2; ok=0; }
command -v pdftoppm >/dev/null 2>&1 || { echo "system-deps: pdftoppm still missing" >&2; ok=0; }
[ -f "$WQY" ] || { echo "system-deps: $WQY still missing" >&2; ok=0; }
[ -x /usr/sbin/nginx ] || { echo "system-deps: /usr/sbin/nginx still missing" >&2; ok=0; }
[ "$ok" = 1 ] || exit 1
echo "system-deps: done"
