# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The plugin's configs under ``mim train`` (the distributed launch:
``test_distributed.py``)."""
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import TINY_PASCAL_CONTEXT_CONFIG

# mim train in a subprocess
pytestmark = pytest.mark.slow


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
