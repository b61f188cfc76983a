# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The plugin's configs under the launchers users drive: ``mim train`` and
PyTorch's distributed engine (torchrun + mmengine's ``pytorch`` launcher)."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TINY_PASCAL_CONTEXT_CONFIG

# mim train and torchrun in subprocesses
pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_mim_train_runs_a_tiny_job(tmp_path):
    mim = Path(sys.executable).parent / 'mim'
    subprocess.run([
        str(mim), 'train', 'mmseg',
        str(TINY_PASCAL_CONTEXT_CONFIG), '--work-dir',
        str(tmp_path), '--cfg-options', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
        'custom_hooks=[]'
    ],
                   check=True)
    assert (tmp_path / 'iter_2.pth').is_file()
    assert (tmp_path / 'last_checkpoint').read_text().strip().endswith(
        'iter_2.pth')


def test_torchrun_gloo_two_ranks_train_and_agree(tmp_path):
    worker = Path(__file__).with_name('distributed_worker.py')
    env = dict(os.environ, OMP_NUM_THREADS='1')
    subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_addr', '127.0.0.1', '--master_port',
        str(_free_port()),
        str(worker),
        str(TINY_PASCAL_CONTEXT_CONFIG),
        str(tmp_path)
    ],
                   check=True,
                   env=env,
                   timeout=600)
    ranks = [
        json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)
    ]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert [r['iter'] for r in ranks] == [3, 3]
    # each rank trained on its own shard of the data ...
    assert ranks[0]['last_loss'] != ranks[1]['last_loss']
    # ... and DDP kept the parameters identical
    assert ranks[0]['digest'] == ranks[1]['digest']
    assert (tmp_path / 'iter_2.pth').is_file()
