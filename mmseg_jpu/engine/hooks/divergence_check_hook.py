# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmseg.registry import HOOKS
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor

#: parameters with a non-finite gradient named in the error before "and N
#: more".
MAX_LISTED_PARAMETERS = 5


class TrainingDivergedError(FloatingPointError):
    """A loss or gradient of a training iteration is NaN or infinite."""


def _value(value) -> str:
    """A loss term as the log prints it (a list of tensors is summed)."""
    if isinstance(value, (list, tuple)):
        value = sum(v.float().mean() for v in value)
    return f'{value.float().mean().item():.4g}'


def _all_finite(tensors: List[torch.Tensor]) -> List[bool]:
    """Whether each tensor is finite, read from the device at once."""
    if not tensors:
        return []
    return torch.stack([torch.isfinite(t).all() for t in tensors]).tolist()


@HOOKS.register_module()
class DivergenceCheckHook(Hook):
    """Stop training at the first iteration whose loss or gradient is NaN or
    infinite, before the optimizer applies it.

    * The loss terms of each training forward pass (``mode='loss'``) are
      checked before the backward pass (a forward hook on the segmentor).
    * The gradients are checked just before ``optimizer.step()`` (an
      optimizer step pre-hook). Under mixed precision the loss scaler
      (``AmpOptimWrapper``, ``AnyDeviceAmpOptimWrapper``) skips the step of
      a gradient that overflowed and lowers its scale: such a step never
      reaches ``optimizer.step()``, so it is not a failure.

    Under several processes every rank stops at the same iteration with
    the message of the first rank that saw it, which the work dir's log
    holds too. The :class:`TrainingDivergedError` names the iteration, the loss terms
    with their values, the parameters whose gradient is not finite and the
    images of the batch. Since it is raised before the update and before
    the checkpoint hook of that iteration runs, the weights stay those of
    the last finite iteration and no checkpoint of a diverged model
    replaces the last good one: fix the cause, then ``--resume``.

    The plugin's configs register it in ``default_hooks``
    (``divergence_check``); add it to your own config with
    ``default_hooks = dict(
    divergence_check=dict(type='DivergenceCheckHook'))``.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self._runner = None
        self._handles: List = []
        self._losses: Dict[str, torch.Tensor] = {}
        self._images: List[str] = []

    def before_train(self, runner) -> None:
        self._runner = runner
        model = unwrap_segmentor(runner.model)
        self._handles = [
            model.register_forward_hook(self._check_losses, with_kwargs=True)
        ]
        self._names = {id(p): n for n, p in model.named_parameters()}
        wrappers = (runner.optim_wrapper.values() if isinstance(
            runner.optim_wrapper, OptimWrapperDict) else
                    [runner.optim_wrapper])
        for wrapper in wrappers:
            self._handles.append(
                wrapper.optimizer.register_step_pre_hook(
                    self._check_gradients))

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        samples = (data_batch or {}).get('data_samples') or []
        self._images = [
            str(sample.metainfo.get('img_path')) for sample in samples
            if hasattr(sample, 'metainfo')
        ]

    def _check_losses(self, module, args, kwargs, output) -> None:
        if not (module.training and kwargs.get('mode') == 'loss'
                and isinstance(output, dict)):
            return
        self._losses = {
            name: value
            for name, value in output.items()
            if torch.is_tensor(value) or isinstance(value, (list, tuple))
        }
        raise_on_every_rank(self._check_loss_terms, self._runner.logger)

    def _check_loss_terms(self) -> None:
        tensors = [
            torch.stack([v.float().mean() for v in value]) if isinstance(
                value, (list, tuple)) else value.detach()
            for value in self._losses.values()
        ]
        bad = [
            name for name, finite in zip(self._losses, _all_finite(tensors))
            if not finite
        ]
        if bad:
            raise self._error(
                f'the loss is not finite ({", ".join(bad)}): '
                f'{self._loss_terms()}', 'before its backward pass')

    def _check_gradients(self, optimizer, args, kwargs) -> None:
        raise_on_every_rank(lambda: self._check_gradients_of(optimizer),
                            self._runner.logger)

    def _check_gradients_of(self, optimizer) -> None:
        params = [
            p for group in optimizer.param_groups for p in group['params']
            if p.grad is not None
        ]
        bad = [
            self._names.get(id(p), f'parameter {i}')
            for i, (p, finite) in enumerate(
                zip(params, _all_finite([p.grad for p in params])))
            if not finite
        ]
        if not bad:
            return
        listed = ', '.join(bad[:MAX_LISTED_PARAMETERS]) + (
            f' and {len(bad) - MAX_LISTED_PARAMETERS} more'
            if len(bad) > MAX_LISTED_PARAMETERS else '')
        raise self._error(
            f'the gradient of {len(bad)} of {len(params)} parameters is not '
            f'finite ({listed}) while the loss terms were: '
            f'{self._loss_terms()}', 'before the optimizer step')

    def _loss_terms(self) -> str:
        return ', '.join(f'{name}={_value(value)}'
                         for name, value in self._losses.items())

    def _error(self, what: str, when: str) -> TrainingDivergedError:
        runner = self._runner
        last = runner.message_hub.get_info('last_ckpt')
        kept = (f'the last checkpoint, {last}, is unchanged'
                if last else 'no checkpoint was written yet')
        images = ', '.join(self._images) or 'unknown'
        return TrainingDivergedError(
            f'training stopped at iteration {runner.iter + 1}: {what}. '
            f'Images of the batch: {images}. The run stopped {when}: the '
            'weights are those of the previous iteration, and '
            f'{kept}. Lower the learning rate (optim_wrapper.optimizer.lr), '
            'clip the gradients (optim_wrapper.clip_grad=dict(max_norm=...))'
            ' or check these images and their annotations, then continue '
            'with --resume.')
