#!/usr/bin/env bash
# Create the default-stack environment (torch 2.13.0 CPU + onedl OpenMMLab
# packages, the test and deployment requirements, mmseg_jpu in editable mode)
# in .venv, or in the folder given as $1, when it is missing or the
# requirement files have changed since it was made; otherwise do nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
requirements=(requirements/default.txt requirements/tests.txt requirements/deploy.txt)
stamp="$venv/.mmseg_jpu-requirements.sha256"
wanted=$(cat "${requirements[@]}" setup.py | sha256sum | cut -d' ' -f1)
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    exit 0
fi
echo "== setting up $venv (default stack; about 2 minutes on a fresh machine)"
python3 -m venv "$venv"
pip_args=()
for file in "${requirements[@]}"; do pip_args+=(-r "$file"); done
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install "${pip_args[@]}" -e .
echo "$wanted" > "$stamp"
