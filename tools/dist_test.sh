#!/usr/bin/env bash
# Test on NPROC processes of this machine (one per GPU; on a CPU-only
# machine, CPU processes on gloo) with tools/test.py, as mmseg's
# dist_test.sh: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [ARGS].
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each.
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
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
    "$TOOLS/test.py" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
