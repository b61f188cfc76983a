# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""A training run killed with SIGKILL, in the middle of training and while
writing a checkpoint, resumes with mmseg's ``tools/train.py --resume`` from
its last complete checkpoint and finishes at exactly ``max_iters``.

The config keeps one checkpoint (``max_keep_ckpts=1``, as the quickstart
does): the case where mmengine's own ``CheckpointHook`` deletes the only
complete checkpoint before writing the next, so a kill while writing left
nothing to resume from."""
import json
import re
import signal
from pathlib import Path

import pytest

from mmseg_jpu.tools.mmseg_tools import mmseg_tool
from mmseg_jpu.checkpoint import (
    CheckpointLoadError, load_weights_only)
from .conftest import (TINY_PASCAL_CONTEXT_CONFIG, run_python,
                       tiny_run_config)

WORKER = Path(__file__).with_name('interrupted_training_worker.py')
MAX_ITERS = 4

# training runs in subprocesses, killed and resumed
pytestmark = pytest.mark.slow


@pytest.fixture
def config(tmp_path):
    """The tiny config: 4 iterations, a checkpoint every 2 keeping one, no
    validation."""
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, tmp_path / 'work',
                          MAX_ITERS)
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    path = tmp_path / 'tiny.py'
    cfg.dump(str(path))
    return path


def _assert_killed(result):
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]


def _last_checkpoint(work_dir):
    return Path((work_dir / 'last_checkpoint').read_text().strip())


def _iterations_of_latest_run(work_dir):
    """The training iterations that the latest run logged in mmengine's
    JSON scalars (each process logs into its own timestamped folder)."""
    scalars = max(work_dir.glob('*/vis_data/scalars.json'))
    return [
        json.loads(line)['iter'] for line in scalars.read_text().splitlines()
        if '"loss"' in line
    ]


def _loss_history(checkpoint):
    buffer = load_weights_only(checkpoint)['message_hub']['log_scalars'][
        'train/loss']
    return list(buffer.data[0])


def test_killed_runs_resume_from_the_last_complete_checkpoint(config):
    work_dir = config.parent / 'work'

    # 1. killed in the middle of training, after iteration 3
    _assert_killed(run_python(WORKER, config, '--kill-after-iter', '3'))
    assert _last_checkpoint(work_dir) == work_dir / 'iter_2.pth'

    # 2. resumed, then killed half-way through writing iter_4.pth
    _assert_killed(
        run_python(WORKER, config, '--resume', '--kill-writing', 'iter_4.pth'))
    assert _iterations_of_latest_run(work_dir) == [3, 4]
    # the half-written file never takes a checkpoint's name, and the
    # checkpoint before it is still there, complete
    assert not (work_dir / 'iter_4.pth').exists()
    partial = work_dir / 'iter_4.pth.partial'
    with pytest.raises(CheckpointLoadError,
                       match=f'{re.escape(str(partial))} is truncated'):
        load_weights_only(partial)
    assert _last_checkpoint(work_dir) == work_dir / 'iter_2.pth'
    assert load_weights_only(work_dir / 'iter_2.pth')['meta']['iter'] == 2
    history_at_2 = _loss_history(work_dir / 'iter_2.pth')

    # 3. resumed with mmseg's tools/train.py: iterations 3 and 4 again
    result = run_python(mmseg_tool('train.py'), config, '--resume')
    assert result.returncode == 0, result.stderr[-3000:]
    assert _iterations_of_latest_run(work_dir) == [3, 4]
    final = work_dir / f'iter_{MAX_ITERS}.pth'
    assert _last_checkpoint(work_dir) == final
    assert load_weights_only(final)['meta']['iter'] == MAX_ITERS
    # the run went on from iter_2.pth's state, not from scratch
    assert _loss_history(final)[:2] == history_at_2
    assert sorted(p.name for p in work_dir.glob('iter_*')) == [final.name]
