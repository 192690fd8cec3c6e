#!/usr/bin/env bash
# Creates (or updates) the project's virtualenv with Python >= 3.11 and installs the project with dev tools.
set -euo pipefail
venv=${1:-.venv}
pick_python() {
  for c in python3.11 python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "$c"; return 0
    fi
  done
  return 1
}
py=$(pick_python) || { echo "Python 3.11 or newer is required (apt-get install python3)" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  if ! "$py" -m venv "$venv" 2>/dev/null; then
    # Debian/Ubuntu ship venv separately.
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
      ver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get install -y -q "python${ver}-venv" || apt-get install -y -q python3-venv
      rm -rf "$venv"; "$py" -m venv "$venv"
    else
      echo "could not create a virtualenv: install python3-venv (sudo apt-get install python3-venv)" >&2; exit 1
    fi
  fi
fi
log="$venv/install.log"
echo "installing the project into $venv (log: $log)"
"$venv/bin/python" -m pip install --upgrade pip >"$log" 2>&1 || true
if ! "$venv/bin/python" -m pip install -e ".[dev]" >>"$log" 2>&1; then
  tail -30 "$log" >&2; echo "pip install failed (full log: $log)" >&2; exit 1
fi
"$venv/bin/python" -c "import libs, strawberry, beanie" || { echo "installation failed" >&2; exit 1; }
