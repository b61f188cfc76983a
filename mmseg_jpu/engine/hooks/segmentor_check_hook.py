# Copyright (c) mmseg_jpu contributors. All rights reserved.
import re
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import HOOKS
from ...models.utils.input_channels import (check_input_channels,
                                            feature_channels)


@HOOKS.register_module()
class SegmentorCheckHook(Hook):
    """Run :func:`check_segmentor` on the Runner's model before the run."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_segmentor(unwrap_segmentor(runner.model))


def unwrap_segmentor(model: nn.Module) -> nn.Module:
    """The segmentor inside distributed wrappers and ``--tta`` models."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def check_segmentor(model: nn.Module) -> None:
    """Check the neck's ``in_channels`` and each head's ``in_index`` and
    ``in_channels`` against the features of a dry run on a zero image.

    Args:
        model (nn.Module): A segmentor with ``backbone`` and ``decode_head``.

    Raises:
        ValueError: Naming the config field and the value to set.
    """
    preprocessor = model.data_preprocessor
    size = getattr(preprocessor, 'size', None) or (64, 64)
    mean = getattr(preprocessor, 'mean', None)
    channels = mean.numel() if torch.is_tensor(mean) else 3
    image = next(model.parameters()).new_zeros(1, channels, *size)
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        with torch.no_grad():
            features = model.backbone(image)
            source = 'model.backbone'
            neck = getattr(model, 'neck', None)
            if neck is not None:
                if isinstance(getattr(neck, 'in_channels', None), Sequence):
                    check_input_channels(neck.in_channels,
                                         feature_channels(features),
                                         'model.neck', source)
                features = neck(features)
                source = 'model.neck'
    finally:
        for module, mode in modes.items():
            module.training = mode
    channels = feature_channels(features)
    for name, head in model.named_modules():
        if isinstance(head, BaseDecodeHead):  # model.decode_head[i] of lists
            field = 'model.' + re.sub(r'\.(\d+)', r'[\1]', name)
            _check_head(head, field, channels, source)


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
        needed = sum(needed)
    elif head.input_transform != 'multiple_select':
        needed = needed[0]
    given = head.in_channels
    if (list(given) if isinstance(given, Sequence) else given) != needed:
        raise ValueError(
            f'{field}.in_channels does not match the features it reads: '
            f'{field}.in_index={in_index!r} selects {source} levels with '
            f'channels {needed}, but the head was built for '
            f'{head.in_channels!r} channels. Set {field}.in_channels='
            f'{needed!r}.')
