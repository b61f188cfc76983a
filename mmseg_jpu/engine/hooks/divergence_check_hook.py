# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Dict, List

import torch
from mmengine.hooks import Hook

from mmseg.registry import HOOKS
from ...utils.listing import listing
from ..rank_errors import raise_on_every_rank
from .segmentor_check_hook import unwrap_segmentor


class TrainingDivergedError(FloatingPointError):
    """A loss or gradient of a training iteration is NaN or infinite."""


def _not_finite(tensors: Dict[str, torch.Tensor]) -> List[str]:
    """The names of the tensors with NaN or inf values (one device read)."""
    finite = [torch.isfinite(t).all() for t in tensors.values()]
    finite = torch.stack(finite).tolist() if finite else []
    return [name for name, ok in zip(tensors, finite) if not ok]


@HOOKS.register_module()
class DivergenceCheckHook(Hook):
    """Stop training on every rank with :class:`TrainingDivergedError` at
    the first NaN or infinite loss or gradient, before the optimizer step."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._runner, self._losses, self._images = runner, {}, []
        model = unwrap_segmentor(runner.model)
        self._names = {id(p): n for n, p in model.named_parameters()}
        self._handles = [
            model.register_forward_hook(self._check_losses, with_kwargs=True),
            runner.optim_wrapper.optimizer.register_step_pre_hook(
                self._check_gradients)
        ]

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()

    def _check_losses(self, module, args, kwargs, output) -> None:
        if not (module.training and kwargs.get('mode') == 'loss'):
            return
        self._images = [
            str(sample.metainfo.get('img_path'))
            for sample in kwargs.get('data_samples') or []
        ]
        _, self._losses = module.parse_losses(output)
        del self._losses['loss']  # the sum of the terms
        bad = _not_finite(self._losses)
        self._stop_if(bad, f'the loss is not finite ({", ".join(bad)})')

    def _check_gradients(self, optimizer, args, kwargs) -> None:
        grads = {
            self._names.get(id(p), 'unnamed'): p.grad
            for group in optimizer.param_groups
            for p in group['params'] if p.grad is not None
        }
        bad = _not_finite(grads)
        self._stop_if(
            bad, f'the gradient of {len(bad)} of {len(grads)} parameters '
            f'is not finite ({listing(bad)})')

    def _stop_if(self, bad: list, what: str) -> None:
        """Raise on every rank if any rank found ``bad`` values."""

        def check():
            if not bad:
                return
            losses = ', '.join(f'{name}={value.item():.4g}'
                               for name, value in self._losses.items())
            raise TrainingDivergedError(
                f'training stopped at iteration {self._runner.iter + 1}: '
                f'{what}; loss terms: {losses}. Images of the batch: '
                f'{", ".join(self._images) or "unknown"}. The weights and '
                'the last checkpoint are those of the last finite '
                'iteration. Lower the learning rate '
                '(optim_wrapper.optimizer.lr), clip the gradients '
                '(optim_wrapper.clip_grad=dict(max_norm=...)) or check '
                'these images and their annotations, then continue with '
                '--resume.')

        raise_on_every_rank(check, self._runner.logger)
