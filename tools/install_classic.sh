#!/usr/bin/env bash
# Install the classic OpenMMLab stack (mmcv 2.1.0 full build, mmengine 0.10.7,
# mmsegmentation 1.2.2, mmpretrain 1.2.0), the test and deployment
# requirements and mmseg_jpu into a virtual environment, by default
# .venv-classic.
#
# mmcv 2.1.0 has no wheel for torch 2.13 and is compiled from source (about
# 12 minutes on 2 cores); its setup needs setuptools<70, while torch needs
# setuptools>=77.0.3 at run time, so setuptools is swapped around the build.
# pip keeps the built wheel in its cache: later installs skip the compile.
set -euo pipefail
venv=${1:-.venv-classic}
cd "$(dirname "$0")/.."
python3 -m venv "$venv"
pip="$venv/bin/pip"
"$pip" install torch==2.13.0 wheel numpy
"$pip" install 'setuptools<70'
MAX_JOBS=${MAX_JOBS:-2} "$pip" install --no-build-isolation --no-deps mmcv==2.1.0
"$pip" install -r requirements/classic.txt -r requirements/tests.txt -r requirements/deploy.txt -e .
