# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Training never loses work, tested with mmengine's Runner on the tiny
Pascal Context sample (a checkpoint every 2 iterations):

* a NaN loss or gradient stops the run at that iteration, before the
  update, naming the loss terms; the last good checkpoint stays the last
  one (``DivergenceCheckHook``); under mixed precision a step the loss
  scaler skips is not a failure;
* a full disk while writing a checkpoint stops the run with a message, and
  leaves the previous checkpoint, ``last_checkpoint`` and no partial file
  (``AtomicCheckpointHook``); the run then resumes;
* ``--resume`` when ``last_checkpoint`` names a missing or broken file
  falls back to the newest complete checkpoint and says which
  (``AtomicCheckpointHook``), also through mmseg's ``tools/train.py``.
"""
import errno
import math
import os
import shutil
from pathlib import Path

import pytest
import torch
from mmengine.fileio import LocalBackend
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmseg_jpu.engine.hooks import CheckpointWriteError, TrainingDivergedError
from mmseg_jpu.tools.mmseg_tools import mmseg_tool
from mmseg_jpu.checkpoint import (
    CheckpointLoadError, load_weights_only)
from .conftest import TINY_PASCAL_CONTEXT_CONFIG, run_python, tiny_run_config

MAX_ITERS = 4


pytestmark = pytest.mark.usefixtures('one_thread')


def _config(work_dir, max_iters=MAX_ITERS, **options):
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, work_dir, max_iters)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.merge_from_dict(options)
    return cfg


class AtIteration(Hook):
    """Calls ``action(runner)`` before training iteration ``iteration``
    (counted from 1)."""

    def __init__(self, iteration, action):
        self.iteration, self.action = iteration, action

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.iteration:
            self.action(runner)


def _nan_logits(runner):
    runner.model.decode_head.conv_seg.register_forward_hook(
        lambda module, inputs, output: output * math.nan)


def _nan_gradient(runner):
    runner.model.decode_head.conv_seg.weight.register_hook(
        lambda grad: grad * math.nan)


def _parameters(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _last_checkpoint(work_dir):
    return Path((work_dir / 'last_checkpoint').read_text().strip())


def _checkpoints(work_dir):
    return sorted(p.name for p in work_dir.iterdir() if 'iter_' in p.name)


def _assert_kept_the_checkpoint_of_iteration_2(runner, work_dir):
    assert _last_checkpoint(work_dir) == work_dir / 'iter_2.pth'
    assert _checkpoints(work_dir) == ['iter_2.pth']
    checkpoint = load_weights_only(work_dir / 'iter_2.pth')
    assert checkpoint['meta']['iter'] == 2
    # stopped before the update: the weights are still those it saved
    for name, value in _parameters(runner.model).items():
        assert torch.equal(value, checkpoint['state_dict'][name]), name


def _diverge(work_dir, inject):
    """Train with ``inject`` before iteration 3; return the runner and the
    message it stopped with."""
    runner = Runner.from_cfg(_config(work_dir))
    runner.register_hook(AtIteration(3, inject))
    with pytest.raises(TrainingDivergedError) as error:
        runner.train()
    return runner, str(error.value)


@pytest.mark.slow
def test_nan_loss_stops_the_run_naming_the_loss_terms(tmp_path):
    runner, message = _diverge(tmp_path, _nan_logits)
    assert message.startswith('training stopped at iteration 3: the loss is '
                              'not finite (decode.loss_ce)')
    assert 'decode.loss_ce=nan' in message and 'aux.loss_ce=' in message
    assert 'JPEGImages/tiny_train_' in message  # the batch's images
    assert message.endswith('then continue with --resume.')
    _assert_kept_the_checkpoint_of_iteration_2(runner, tmp_path)


@pytest.mark.slow
def test_nan_gradient_stops_the_run_naming_the_parameter(tmp_path):
    runner, message = _diverge(tmp_path, _nan_gradient)
    num_params = sum(1 for _ in runner.model.parameters())
    assert message.startswith(
        'training stopped at iteration 3: the gradient of 1 of '
        f'{num_params} parameters is not finite (decode_head.conv_seg.weight)')
    losses = message.split('loss terms:')[1].split('. Images')[0]
    assert 'decode.loss_ce=' in losses and 'nan' not in losses
    _assert_kept_the_checkpoint_of_iteration_2(runner, tmp_path)


class StepRecorder(Hook):
    """Whether each iteration changed the weights."""

    def __init__(self):
        self.changed = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._before = _parameters(runner.model)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        after = _parameters(runner.model)
        self.changed.append(
            any(not torch.equal(after[n], v) for n, v in self._before.items()))


@pytest.mark.slow
def test_a_step_the_loss_scaler_skips_is_not_a_failure(tmp_path):
    init_scale = 16.
    runner = Runner.from_cfg(
        _config(
            tmp_path,
            optim_wrapper=dict(
                type='AnyDeviceAmpOptimWrapper',
                dtype='bfloat16',
                loss_scale=dict(init_scale=init_scale))))
    overflow = {'done': False}

    def inf_once(grad):
        if overflow['done']:
            return grad
        overflow['done'] = True
        return grad * math.inf

    recorder = StepRecorder()
    runner.register_hook(recorder)
    runner.register_hook(
        AtIteration(
            2, lambda r: r.model.decode_head.conv_seg.weight.register_hook(
                inf_once)))
    runner.train()
    # iteration 2's gradient overflowed: the scaler skipped that step (and
    # no other: it halved its scale once); training went on to the end
    assert recorder.changed[:3] == [True, False, True]
    assert runner.optim_wrapper.loss_scaler.get_scale() == init_scale / 2
    assert _last_checkpoint(tmp_path) == tmp_path / f'iter_{MAX_ITERS}.pth'
    assert all(torch.isfinite(p).all() for p in runner.model.parameters())


@pytest.mark.slow
def test_full_disk_while_writing_a_checkpoint_loses_nothing(
        tmp_path, monkeypatch):
    put = LocalBackend.put

    def disk_full_at_iter_4(self, obj, filepath):
        if not Path(filepath).name.startswith('iter_4'):
            return put(self, obj, filepath)
        with open(filepath, 'wb') as file:
            file.write(obj[:len(obj) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(filepath))

    monkeypatch.setattr(LocalBackend, 'put', disk_full_at_iter_4)
    # one checkpoint kept: mmengine's own hook deletes it before writing
    cfg = _config(tmp_path, default_hooks=dict(checkpoint=dict(
        max_keep_ckpts=1)))
    runner = Runner.from_cfg(cfg)
    with pytest.raises(CheckpointWriteError) as error:
        runner.train()
    assert error.value.errno == errno.ENOSPC
    message = str(error.value)
    assert str(tmp_path / 'iter_4.pth') in message
    assert os.strerror(errno.ENOSPC) in message
    assert message.endswith('then continue with --resume.')
    assert _last_checkpoint(tmp_path) == tmp_path / 'iter_2.pth'
    assert _checkpoints(tmp_path) == ['iter_2.pth']
    assert not list(tmp_path.glob('*.partial'))
    assert load_weights_only(tmp_path / 'iter_2.pth')['meta']['iter'] == 2

    # with space again, --resume goes on from iteration 2
    monkeypatch.setattr(LocalBackend, 'put', put)
    cfg.resume = True
    resumed = Runner.from_cfg(cfg)
    resumed.train()
    assert _checkpoints(tmp_path) == ['iter_4.pth']
    assert load_weights_only(tmp_path / 'iter_4.pth')['meta']['iter'] == 4


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A work dir after 4 iterations: iter_2.pth, iter_4.pth and
    last_checkpoint naming iter_4.pth."""
    work_dir = tmp_path_factory.mktemp('trained')
    Runner.from_cfg(_config(work_dir)).train()
    return work_dir


@pytest.fixture
def work_dir(trained, tmp_path):
    """A copy of ``trained`` whose last_checkpoint names its own file."""
    copy = tmp_path / 'work'
    shutil.copytree(trained, copy)
    (copy / 'last_checkpoint').write_text(str(copy / 'iter_4.pth'))
    return copy


class FirstIteration(Hook):
    """The iteration training starts from (after resuming)."""

    def before_train(self, runner):
        self.iteration = runner.iter


def _resume(work_dir):
    """Resume the run in ``work_dir`` to ``MAX_ITERS``; return the
    iteration it resumed from and the log."""
    cfg = _config(work_dir)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    first = FirstIteration()
    runner.register_hook(first)
    runner.train()
    log = max(work_dir.glob('*/*.log')).read_text()
    return first.iteration, log


@pytest.mark.slow
@pytest.mark.parametrize('damage', ['truncated', 'missing', 'empty'])
def test_resume_falls_back_to_the_newest_complete_checkpoint(
        work_dir, damage):
    broken = work_dir / 'iter_4.pth'
    if damage == 'missing':
        broken.unlink()
    else:
        data = broken.read_bytes()
        broken.write_bytes(data[:len(data) // 2] if damage == 'truncated'
                           else b'')
    resumed_from, log = _resume(work_dir)
    summary = {'truncated': 'is truncated', 'missing': 'is missing',
               'empty': 'is truncated'}[damage]
    assert (f'{work_dir / "last_checkpoint"} names {broken}, which {summary}'
            f': resuming from {work_dir / "iter_2.pth"} instead, the newest '
            f'complete checkpoint of {work_dir}.') in log
    assert resumed_from == 2
    assert load_weights_only(broken)['meta']['iter'] == MAX_ITERS


@pytest.mark.slow
def test_resume_without_last_checkpoint_takes_the_newest(work_dir):
    (work_dir / 'last_checkpoint').unlink()
    resumed_from, log = _resume(work_dir)
    assert (f'there is no {work_dir / "last_checkpoint"}: resuming from '
            f'{work_dir / "iter_4.pth"} instead') in log
    assert resumed_from == MAX_ITERS


@pytest.mark.slow
def test_resume_with_no_complete_checkpoint_says_so(work_dir):
    for name in ('iter_2.pth', 'iter_4.pth'):
        (work_dir / name).write_bytes(b'')
    with pytest.raises(CheckpointLoadError) as error:
        _resume(work_dir)
    assert str(error.value).startswith(
        f'cannot resume: {work_dir / "last_checkpoint"} names '
        f'{work_dir / "iter_4.pth"}, which is truncated, and the work dir '
        'holds no other complete checkpoint')


@pytest.mark.slow
def test_mmseg_train_tool_resume_falls_back(work_dir):
    cfg = _config(work_dir)
    config = work_dir.parent / 'tiny.py'
    cfg.dump(str(config))
    broken = work_dir / 'iter_4.pth'
    broken.write_bytes(broken.read_bytes()[:1000])
    result = run_python(mmseg_tool('train.py'), config, '--resume')
    assert result.returncode == 0, result.stderr[-3000:]
    assert (f'names {broken}, which is truncated: resuming from '
            f'{work_dir / "iter_2.pth"} instead') in result.stdout
    assert _last_checkpoint(work_dir) == broken
    assert load_weights_only(broken)['meta']['iter'] == MAX_ITERS
