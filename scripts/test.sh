#!/usr/bin/env bash
# Install clvkit with its test and bayes extras into a fresh virtual environment and run the tests.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CLVKIT_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -e ".[test,bayes]"
"$VENV/bin/ruff" check clvkit tests benchmarks
# two pytest workers on two cores: one BLAS thread each (threaded BLAS on small matrices only contends)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
set +e
"$VENV/bin/python" -m pytest -n 2 --dist loadfile -m "not slow" --nbmake --doctest-modules tests notebooks clvkit "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
