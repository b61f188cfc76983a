#!/usr/bin/env bash
# Train on a slurm cluster with tools/train.py (GPUs), as mmseg's
# slurm_train.sh: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [ARGS];
# GPUS (total, default 4), GPUS_PER_NODE (4), CPUS_PER_TASK (5) and
# SRUN_ARGS from the environment.
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
TOOLS=$(dirname "$0")
PYTHON=${PYTHON:-$TOOLS/../.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3

srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$TOOLS/train.py" "$CONFIG" --launcher=slurm "${@:4}"
