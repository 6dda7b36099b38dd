#!/usr/bin/env bash
# Install everything nianbao and its tests need on a fresh Debian machine: the system packages
# (Chromium + a CJK font for the browser test, redis-server for the scale-out test, antiword for
# .doc attachments) and a virtualenv in .venv with the project installed editable.
# The Python packages come from requirements.lock (exact versions, hash-checked; regenerate it with
# scripts/lock.sh after changing pyproject.toml), so one commit installs, and parses, the same way everywhere.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v antiword >/dev/null 2>&1 || need_apt+=(antiword)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need_apt+=(fonts-wqy-zenhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing system packages (${need_apt[*]}); install them with sudo apt-get install ${need_apt[*]}" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q --require-hashes -r requirements.lock
  .venv/bin/pip install -q --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi
