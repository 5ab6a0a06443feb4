#!/usr/bin/env bash
# Installs the system packages the tests need, only those that are missing:
#   - PostgreSQL server (Debian "postgresql": /usr/lib/postgresql/*/bin/initdb) for the pg tests
#   - Chromium (/usr/bin/chromium) for the Playwright end-to-end tests (never `playwright install`)
#   - poppler-utils (pdftoppm) to render generated PDFs to images
#   - fonts-wqy-microhei so Chromium draws Chinese in e2e screenshots (not tofu boxes)
#   - fonts-hanazono: the documents' fallback font for rare characters in names (CJK Extension A and B,
#     e.g. 䶮, 𠮷); the app itself needs it, so `make run` installs it too (`system-deps.sh fonts`)
#   - nginx, the reverse proxy of deploy/ (TLS, sticky sessions, rate limits), for tests/topology
#   - tesseract-ocr and tesseract-ocr-chi-sim: the OCR engine `make bench` measures against PP-OCR (the
#     product's own engine comes from PyPI with its models; the app never needs Tesseract)
# Idempotent: does nothing (not even `apt-get update`) when everything is present.
#   system-deps.sh         everything the tests need
#   system-deps.sh fonts   only what the running app needs (the fallback font)
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

only_fonts=0
[ "${1:-}" = "fonts" ] && only_fonts=1

missing=()
HANAZONO=/usr/share/fonts/truetype/hanazono/HanaMinB.ttf
[ -f "$HANAZONO" ] || missing+=(fonts-hanazono)
if [ "$only_fonts" = 1 ]; then
    if [ "${#missing[@]}" -eq 0 ]; then
        exit 0
    fi
fi

have_initdb=1
[ "$only_fonts" = 1 ] || have_initdb=0
for f in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "$f" ]; then have_initdb=1; fi
done
WQY=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ "$only_fonts" = 0 ]; then
    [ "$have_initdb" = 1 ] || missing+=(postgresql)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    [ -f "$WQY" ] || missing+=(fonts-wqy-microhei)
    [ -x /usr/sbin/nginx ] || missing+=(nginx)
    command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
    compgen -G '/usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata' >/dev/null || missing+=(tesseract-ocr-chi-sim)
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "system-deps: all present (postgresql, chromium, poppler-utils, fonts-wqy-microhei, nginx, tesseract-ocr, chi_sim, fonts-hanazono)"
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
[ -f "$HANAZONO" ] || { echo "system-deps: $HANAZONO still missing" >&2; ok=0; }
if [ "$only_fonts" = 0 ]; then
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo "system-deps: initdb still missing" >&2; ok=0; }
    [ -x /usr/bin/chromium ] || { echo "system-deps: /usr/bin/chromium still missing" >&2; ok=0; }
    command -v pdftoppm >/dev/null 2>&1 || { echo "system-deps: pdftoppm still missing" >&2; ok=0; }
    [ -f "$WQY" ] || { echo "system-deps: $WQY still missing" >&2; ok=0; }
    [ -x /usr/sbin/nginx ] || { echo "system-deps: /usr/sbin/nginx still missing" >&2; ok=0; }
    command -v tesseract >/dev/null 2>&1 || { echo "system-deps: tesseract still missing" >&2; ok=0; }
fi
[ "$ok" = 1 ] || exit 1
echo "system-deps: done"
