#!/usr/bin/env bash
# The main job on a fresh machine: create .venv if it is missing (see
# tools/setup_env.sh), then train EncNet + JPU on the bundled tiny Pascal
# Context sample and evaluate it (tools/quickstart.py; arguments are passed
# on, e.g. --work-dir). Prints the facts of the run, a progress bar and the
# result; the full log is in the work dir.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_QUIET=1 bash tools/setup_env.sh  # pip prints warnings and errors only
exec .venv/bin/python tools/quickstart.py "$@"
