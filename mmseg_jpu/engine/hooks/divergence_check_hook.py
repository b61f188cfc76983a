# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Iterable, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmseg.registry import HOOKS
from ...utils.listing import listing
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor


class TrainingDivergedError(FloatingPointError):
    """A loss or gradient of a training iteration is NaN or infinite."""


def _mean(value) -> torch.Tensor:
    """A loss term as the log prints it (a list of tensors is summed)."""
    if isinstance(value, (list, tuple)):
        return sum(v.detach().float().mean() for v in value)
    return value.detach().float().mean()


def _all_finite(tensors: Iterable[torch.Tensor]) -> List[bool]:
    """Whether each tensor is finite, read from the device at once."""
    finite = [torch.isfinite(t).all() for t in tensors]
    return torch.stack(finite).tolist() if finite else []


@HOOKS.register_module()
class DivergenceCheckHook(Hook):
    """Stop training at the first NaN or infinite loss or gradient, before
    the optimizer applies it.

    The loss terms of each training forward pass are checked before the
    backward pass (a forward hook on the segmentor), the gradients just
    before ``optimizer.step()`` (an optimizer step pre-hook): a step that a
    mixed precision loss scaler skips after an overflow never gets there.
    Every rank stops at the same iteration with the first failing rank's
    :class:`TrainingDivergedError`, which the log holds too; it names the
    iteration, the loss terms, the parameters whose gradient is not finite
    and the batch's images. The weights and the last checkpoint stay those
    of the last finite iteration, to continue from with ``--resume``.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._runner, self._losses, self._images = runner, {}, []
        model = unwrap_segmentor(runner.model)
        self._names = {id(p): n for n, p in model.named_parameters()}
        wrappers = (
            runner.optim_wrapper.values() if isinstance(
                runner.optim_wrapper, OptimWrapperDict) else
            [runner.optim_wrapper])
        self._handles = [
            model.register_forward_hook(self._check_losses, with_kwargs=True)
        ] + [
            wrapper.optimizer.register_step_pre_hook(self._check_gradients)
            for wrapper in wrappers
        ]

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()

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
            name: _mean(value)
            for name, value in output.items()
            if torch.is_tensor(value) or isinstance(value, (list, tuple))
        }
        raise_on_every_rank(self._check_loss_terms, self._runner.logger)

    def _check_loss_terms(self) -> None:
        bad = [
            name for name, finite in zip(self._losses,
                                         _all_finite(self._losses.values()))
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
        finite = _all_finite(p.grad for p in params)
        bad = [
            self._names.get(id(p), f'parameter {i}')
            for i, p in enumerate(params) if not finite[i]
        ]
        if bad:
            raise self._error(
                f'the gradient of {len(bad)} of {len(params)} parameters is '
                f'not finite ({listing(bad)}) while the loss terms were: '
                f'{self._loss_terms()}', 'before the optimizer step')

    def _loss_terms(self) -> str:
        return ', '.join(f'{name}={value.item():.4g}'
                         for name, value in self._losses.items())

    def _error(self, what: str, when: str) -> TrainingDivergedError:
        last = self._runner.message_hub.get_info('last_ckpt')
        kept = (f'the last checkpoint, {last}, is unchanged'
                if last else 'no checkpoint was written yet')
        return TrainingDivergedError(
            f'training stopped at iteration {self._runner.iter + 1}: {what}. '
            f'Images of the batch: {", ".join(self._images) or "unknown"}. '
            f'The run stopped {when}: the weights are those of the previous '
            f'iteration, and {kept}. Lower the learning rate '
            '(optim_wrapper.optimizer.lr), clip the gradients '
            '(optim_wrapper.clip_grad=dict(max_norm=...)) or check these '
            'images and their annotations, then continue with --resume.')
