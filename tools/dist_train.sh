#!/usr/bin/env bash
# Train on NPROC processes of this machine (one per GPU; on a CPU-only
# machine, CPU processes on gloo) with tools/train.py, as mmseg's
# dist_train.sh: bash tools/dist_train.sh CONFIG NPROC [ARGS of train.py].
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each.
CONFIG=$1
NPROC=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
TOOLS=$(dirname "$0")
PYTHON=${PYTHON:-$TOOLS/../.venv/bin/python}
[[ -x $PYTHON ]] || PYTHON=python3

exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" \
    --master_port="$PORT" \
    "$TOOLS/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
