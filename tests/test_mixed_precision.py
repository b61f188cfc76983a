# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Mixed precision and deterministic training on CPU with mmengine's
Runner on the tiny Pascal Context sample: float16 with loss scaling and
bfloat16 (``AnyDeviceAmpOptimWrapper``) train without NaN and the loss
falls; the same seed in deterministic mode repeats every loss."""
import ast
import inspect
import math
import textwrap

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.optim import AmpOptimWrapper
from mmengine.runner import Runner

from mmseg.registry import OPTIM_WRAPPERS
from mmseg_jpu.checkpoint import load_weights_only

from .conftest import TINY_PASCAL_CONTEXT_CONFIG, tiny_run_config

#: float16/bfloat16 convolutions run on slow reference kernels on CPUs
#: without native support, so the mixed precision runs are kept short.
AMP_ITERATIONS = 8
DETERMINISM_ITERATIONS = 20


class LossRecorder(Hook):
    """Keeps every training loss, and the dtype the first backbone conv
    computes in during training."""

    def __init__(self) -> None:
        self.losses, self.conv_dtypes = [], set()

    def before_train(self, runner) -> None:
        runner.model.backbone.stem[0].register_forward_hook(
            self._record_dtype)

    def _record_dtype(self, module, inputs, output) -> None:
        if module.training:
            self.conv_dtypes.add(output.dtype)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self.losses.append(outputs['loss'].item())


def _train(work_dir, iterations, **options):
    """Train ``iterations`` iterations (no validation, a checkpoint at the
    end) with the given config overrides; return the recorder and the
    runner."""
    cfg = tiny_run_config(TINY_PASCAL_CONTEXT_CONFIG, work_dir, iterations)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint.interval = iterations
    cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    recorder = LossRecorder()
    runner.register_hook(recorder)
    runner.train()
    return recorder, runner


pytestmark = pytest.mark.usefixtures('one_thread')


def _mean(values):
    return sum(values) / len(values)


@pytest.mark.slow
@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
def test_mixed_precision_trains_on_cpu(tmp_path, dtype):
    recorder, runner = _train(
        tmp_path,
        AMP_ITERATIONS,
        optim_wrapper=dict(
            type='AnyDeviceAmpOptimWrapper', dtype=dtype))
    losses = recorder.losses
    assert len(losses) == AMP_ITERATIONS
    assert all(math.isfinite(loss) for loss in losses), losses
    assert _mean(losses[-3:]) < 0.8 * _mean(losses[:3]), losses
    assert recorder.conv_dtypes == {getattr(torch, dtype)}
    scaler = runner.optim_wrapper.loss_scaler
    assert scaler.is_enabled() and scaler.get_scale() > 1
    if dtype == 'float16':
        # float16 gradients overflowed at the initial scale 2**16: the
        # scaler skipped that step and lowered the scale
        assert scaler.get_scale() < 2**16
    # the scaler's state is saved for resuming, and loads weights-only
    saved = load_weights_only(tmp_path / f'iter_{AMP_ITERATIONS}.pth')
    assert saved['optimizer']['loss_scaler']['scale'] == scaler.get_scale()
    assert all(
        torch.isfinite(p).all() for p in runner.model.parameters())


def test_unsupported_autocast_dtype_is_named():
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="optim_wrapper.dtype='float32'"):
        OPTIM_WRAPPERS.build(
            dict(
                type='AnyDeviceAmpOptimWrapper',
                optimizer=optimizer,
                dtype='float32'))


def test_sets_every_attribute_of_the_amp_constructor():
    # AmpOptimWrapper.__init__ asserts a GPU, so the wrapper calls
    # OptimWrapper's and sets the attributes itself: an mmengine whose
    # constructor sets another attribute fails here, not silently in training
    source = textwrap.dedent(inspect.getsource(AmpOptimWrapper.__init__))
    assigned = {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name) and node.value.id == 'self'
    }
    assert {'loss_scaler', 'cast_dtype'} <= assigned
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='AnyDeviceAmpOptimWrapper', optimizer=optimizer))
    assert assigned <= set(vars(wrapper))
    assert wrapper.cast_dtype == torch.get_autocast_dtype('cpu')


@pytest.mark.parametrize('loss_scale, update', [('dynamic', None),
                                                (dict(init_scale=8.), None),
                                                (8., 8.)])
def test_loss_scale_is_mmengines(loss_scale, update):
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=0.1)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='AnyDeviceAmpOptimWrapper',
            optimizer=optimizer,
            loss_scale=loss_scale))
    assert wrapper._scale_update_param == update
    assert wrapper.loss_scaler.get_scale() == (
        2.**16 if loss_scale == 'dynamic' else 8.)


@pytest.fixture
def restore_determinism():
    """Undo the global switches deterministic mode sets."""
    saved = (torch.are_deterministic_algorithms_enabled(),
             torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(saved[0])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = \
        saved[1:]


@pytest.mark.slow
def test_same_seed_in_deterministic_mode_repeats_every_loss(
        tmp_path, restore_determinism):
    randomness = dict(randomness=dict(seed=0, deterministic=True))
    first, _ = _train(tmp_path / 'first', DETERMINISM_ITERATIONS,
                      **randomness)
    second, _ = _train(tmp_path / 'second', DETERMINISM_ITERATIONS,
                       **randomness)
    assert len(first.losses) == DETERMINISM_ITERATIONS
    assert len(set(first.losses)) > 1
    assert first.losses == second.losses
