#!/usr/bin/env bash
# Renders the HTML code mail with headless Chromium (Debian's `chromium`): docs/mail-en.png,
# docs/mail-de.png, and docs/mail-en-dark.png as a mail client in dark mode shows it.
# `npm run screenshots`; the README links them.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v chromium >/dev/null || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 1; }
npm run build --silent

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p docs

shoot() { # locale, name in the greeting, and "dark" for dark mode
  local locale=$1 name=$2 scheme=$3 out="docs/mail-$1${3:+-$3}.png"
  node dist/src/cli/cli.js preview --locale "$locale" --name "$name" --product Acme --out "$work/mail-$locale.html" >/dev/null
  # A fresh profile each time, and nothing that reaches for the network.
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$work")" --hide-scrollbars \
    ${scheme:+--force-dark-mode} \
    --window-size=700,900 --screenshot="$PWD/$out" "file://$work/mail-$locale.html" 2>/dev/null
  echo "wrote $out"
}

shoot en 'Ada Lovelace' ''
shoot de 'Jörg Müller' ''
shoot en 'Ada Lovelace' dark
