#!/usr/bin/env bash
# The tests on a fresh machine: create .venv if it is missing (see
# tools/setup_env.sh), then run pytest on tests/ with the arguments given,
# e.g. `bash tools/run_tests.sh -m "not slow"` for the fast subset.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup_env.sh
exec .venv/bin/python -m pytest tests "$@"
