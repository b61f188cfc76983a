# Copyright (c) mmseg_jpu contributors. All rights reserved.
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import HOOKS
from ...models.utils.input_channels import (check_input_channels,
                                            feature_channels)


@HOOKS.register_module()
class SegmentorCheckHook(Hook):
    """Run :func:`check_segmentor` on the Runner's model in ``before_run``,
    so that channels or indices that do not fit stop the run with the config
    field to fix, not with a shape error in the first forward pass."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_segmentor(unwrap_segmentor(runner.model))


def unwrap_segmentor(model: nn.Module) -> nn.Module:
    """The segmentor inside distributed wrappers and ``--tta`` models."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def check_segmentor(model: nn.Module, prefix: str = 'model') -> None:
    """Check that the channels and indices of a segmentor's parts fit.

    Runs ``model.backbone`` (and ``model.neck``) once, in eval mode and
    without gradients, on a zero image of the data preprocessor's ``size``
    (64x64 if it sets none), then checks the neck's ``in_channels`` sequence
    against the backbone's outputs (the rule of
    :func:`~mmseg_jpu.models.utils.input_channels.check_input_channels`), and
    for every ``BaseDecodeHead``: that ``in_index`` selects existing levels
    and ``in_channels`` is their channels (summed for ``resize_concat``).
    Training modes and statistics are left as they were.

    Args:
        model (nn.Module): A segmentor with ``backbone`` and ``decode_head``.
        prefix (str): The model's config path, for the messages.
            Defaults to 'model'.

    Raises:
        ValueError: Naming the config field, the value it needs and the fix.
    """
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            features = _run(model.backbone, _dry_run_input(model),
                            f'{prefix}.backbone')
            source = f'{prefix}.backbone'
            neck = getattr(model, 'neck', None)
            if neck is not None:
                if isinstance(getattr(neck, 'in_channels', None), Sequence):
                    check_input_channels(neck.in_channels,
                                         feature_channels(features),
                                         f'{prefix}.neck', source)
                features = _run(neck, features, f'{prefix}.neck')
                source = f'{prefix}.neck'
    finally:
        for module, mode in modes.items():
            module.training = mode
    channels = feature_channels(features)
    for name in ('decode_head', 'auxiliary_head'):
        heads = getattr(model, name, None)
        if isinstance(heads, nn.ModuleList):
            named = [(f'{prefix}.{name}[{i}]', h) for i, h in enumerate(heads)]
        else:
            named = [(f'{prefix}.{name}', heads)]
        for field, head in named:
            if isinstance(head, BaseDecodeHead):
                _check_head(head, field, channels, source)


def _dry_run_input(model: nn.Module) -> Tensor:
    preprocessor = getattr(model, 'data_preprocessor', None)
    height, width = getattr(preprocessor, 'size', None) or (64, 64)
    mean = getattr(preprocessor, 'mean', None)
    param = next(model.parameters())
    return torch.zeros(
        1,
        mean.numel() if isinstance(mean, Tensor) else 3,
        height,
        width,
        device=param.device,
        dtype=param.dtype)


def _run(module: nn.Module, inputs, field: str) -> Tuple[Tensor, ...]:
    """``module(inputs)`` as a tuple; a failure names the config field."""
    try:
        outputs = module(inputs)
    except Exception as error:
        given = (f'an input of shape {tuple(inputs.shape)}' if isinstance(
            inputs, Tensor) else
                 f'features with channels {feature_channels(inputs)}')
        raise ValueError(
            f'{field} ({type(module).__name__}) fails on '
            f'{given}: {error}; check the settings of {field}') from error
    return (outputs, ) if isinstance(outputs, Tensor) else tuple(outputs)


def _check_head(head: BaseDecodeHead, field: str, channels: Tuple[int, ...],
                source: str) -> None:
    in_index = head.in_index
    indices = in_index if isinstance(in_index, (list, tuple)) else [in_index]
    if not all(-len(channels) <= i < len(channels) for i in indices):
        levels = ', '.join(f'{i}: {c}' for i, c in enumerate(channels))
        raise ValueError(
            f'{field}.in_index={in_index!r} is out of range: {source} '
            f'outputs {len(channels)} feature levels (index: channels '
            f'{levels}). Set {field}.in_index to levels in '
            f'0..{len(channels) - 1}.')
    needed = [channels[i] for i in indices]
    if head.input_transform == 'resize_concat':
        fits = head.in_channels == sum(needed)
    elif head.input_transform == 'multiple_select':
        fits = list(head.in_channels) == needed
    else:
        needed = needed[0]
        fits = head.in_channels == needed
    if not fits:
        raise ValueError(
            f'{field}.in_channels does not match the features it reads: '
            f'{field}.in_index={in_index!r} selects {source} levels with '
            f'channels {needed}, but the head was built for '
            f'{head.in_channels!r} channels. Set {field}.in_channels='
            f'{needed!r}.')
