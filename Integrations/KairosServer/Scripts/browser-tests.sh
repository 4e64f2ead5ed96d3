#!/usr/bin/env bash
# The dashboard in a real browser: builds kairos-server, starts it on a temporary state file and a
# free loopback port with a read-write and a read-only token, and drives Debian's headless
# Chromium through chromedriver with Selenium and axe-core (PyPI, in a venv under .build) — see
# browser-tests.py for what it checks. Screenshots of every page at 1280 px and 375 px go to
# .build/ui-screenshots/. The server is stopped however the run ends.
#
#   Scripts/browser-tests.sh
#
# Exit status 0 when every check passes; 77 (skipped) only when Chromium, chromedriver or Selenium
# is missing and cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [[ -z $chromium || -z $driver ]]; then
  echo "skipped: chromium and chromium-driver are not installed" >&2
  exit 77
fi
# axe-core (the accessibility rules, contrast among them) comes from PyPI's axe-playwright-python,
# installed without Playwright: only the axe.min.js it bundles is used, injected into each page by
# Selenium. The dashboard itself never serves it.
venv=.build/selenium-venv
axe_package=axe-playwright-python==0.1.8
has_tools() { "$venv/bin/python" -c "import selenium, importlib.util, sys; sys.exit(importlib.util.find_spec('axe_playwright_python') is None)" 2>/dev/null; }
if ! has_tools; then
  pip=("$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 30)
  (python3 -m venv "$venv" && "${pip[@]}" selenium && "${pip[@]}" --no-deps "$axe_package") || true
  if ! has_tools; then
    echo "skipped: Selenium or axe-core is not installed and could not be installed (no network?)" >&2
    exit 77
  fi
fi
axe_script=$("$venv/bin/python" -c "import importlib.util, os; print(os.path.join(importlib.util.find_spec('axe_playwright_python').submodule_search_locations[0], 'axe.min.js'))")

swift build --product kairos-server
work=$(mktemp -d)
log=$work/server.log
write_token=rw-$RANDOM$RANDOM$RANDOM
read_token=ro-$RANDOM$RANDOM$RANDOM
KAIROS_TOKEN=$write_token KAIROS_READ_TOKEN=$read_token \
  .build/debug/kairos-server --state "$work/state.json" --host 127.0.0.1 --port 0 --drain-timeout 2 >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  grep -q "listening on" "$log" && break
  kill -0 $server 2>/dev/null || break
  sleep 0.1
done
port=$(sed -n 's/^kairos-server listening on .*:\([0-9]*\)$/\1/p' "$log" | head -1)
[[ -n $port ]] || { cat "$log"; echo "error: kairos-server did not start" >&2; exit 1; }

mkdir -p .build/ui-screenshots
KAIROS_BASE_URL="http://127.0.0.1:$port" KAIROS_WRITE_TOKEN=$write_token KAIROS_READ_TOKEN=$read_token \
  KAIROS_CHROMIUM=$chromium KAIROS_CHROMEDRIVER=$driver KAIROS_SCREENSHOTS=.build/ui-screenshots KAIROS_AXE_SCRIPT=$axe_script \
  "$venv/bin/python" Scripts/browser-tests.py
