#!/usr/bin/env bash
# Install clvkit into a fresh virtual environment and run the CDNOW demo.
# Usage: bash scripts/demo.sh [clvkit demo options, e.g. --out cdnow_clv.csv --horizon 52 --margin-rate 0.3]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CLVKIT_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e .
"$VENV/bin/clvkit" demo "$@"
