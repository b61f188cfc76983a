# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Check that the parts of an mmseg segmentor fit together before a run.

Each module checks its own arguments when it is built, but whether the
neck's ``in_channels`` are the backbone's output channels, or whether a
head's ``in_index`` and ``in_channels`` select existing features of the
right width, only shows in the first forward pass, as an ``IndexError`` or a
convolution's shape error. :func:`check_segmentor` runs the backbone and the
neck once on a small zero image and compares the real feature channels with
the heads' settings, so these mistakes are reported with the config field to
fix; :class:`SegmentorCheckHook` calls it before training, validation or
testing.
"""
from contextlib import contextmanager
from typing import Iterator, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseTTAModel, is_model_wrapper
from torch import Tensor

from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import HOOKS
from ...models.utils.input_channels import (check_input_channels,
                                            feature_channels)

#: (H, W) of the dry-run image when the data preprocessor sets no size.
DRY_RUN_SIZE = (64, 64)


@HOOKS.register_module()
class SegmentorCheckHook(Hook):
    """Run :func:`check_segmentor` on the Runner's model in ``before_run``.

    A neck ``in_channels`` that does not match the backbone, or a head
    ``in_index``/``in_channels`` that does not match the features, then
    stops the run with a message naming the config field instead of a shape
    error in the first forward pass. The plugin's configs register it in
    ``default_hooks`` (``segmentor_check``); add it to your own config with
    ``default_hooks = dict(segmentor_check=dict(type='SegmentorCheckHook'))``.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        check_segmentor(unwrap_segmentor(runner.model))


def check_segmentor(model: nn.Module, prefix: str = 'model') -> None:
    """Check an ``EncoderDecoder``-like segmentor's channels and indices.

    Runs ``model.backbone`` (and ``model.neck``) once, without gradients
    and in eval mode, on a zero image of the data preprocessor's ``size``
    (64x64 when it sets none), then checks:

    * the neck's ``in_channels`` against the backbone's output channels,
      by the rule of
      :func:`mmseg_jpu.models.utils.input_channels.check_input_channels`, for
      every neck that declares an ``in_channels`` sequence (the plugin's,
      mmseg's ``FPN`` and ``JPU``, ...); other necks are only run;
    * for every decode and auxiliary head derived from mmseg's
      ``BaseDecodeHead``: that ``in_index`` selects existing feature levels
      and that ``in_channels`` is the channels of the selected levels
      (their sum for ``input_transform='resize_concat'``).

    The training mode of every module is restored afterwards.

    Args:
        model (nn.Module): The segmentor, with ``backbone``,
            ``decode_head`` and optionally ``neck`` and ``auxiliary_head``.
        prefix (str): Config path of the model, used in the messages.
            Default: 'model'.

    Raises:
        ValueError: A setting does not fit; the message names the config
            field (e.g. ``model.neck.in_channels``), the value it needs and
            the fix.
    """
    for part in ('backbone', 'decode_head'):
        if getattr(model, part, None) is None:
            raise TypeError(f'check_segmentor needs a segmentor with a '
                            f'{part}, got {type(model).__name__}')
    with _eval_mode(model), torch.no_grad():
        features = _run(model.backbone, _dry_run_input(model),
                        f'{prefix}.backbone')
        source = f'{prefix}.backbone'
        if getattr(model, 'neck', None) is not None:
            _check_neck(model.neck, feature_channels(features), prefix)
            features = _run(model.neck, features, f'{prefix}.neck')
            source = f'{prefix}.neck'
    channels = feature_channels(features)
    for field, head in _heads(model, prefix):
        _check_head(head, field, channels, source)


def unwrap_segmentor(model: nn.Module) -> nn.Module:
    """The segmentor inside distributed wrappers (``model.module``) and
    test-time-augmentation models (``--tta``)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    training = {module: module.training for module in model.modules()}
    model.eval()
    try:
        yield
    finally:
        for module, mode in training.items():
            module.training = mode


def _dry_run_input(model: nn.Module) -> Tensor:
    preprocessor = getattr(model, 'data_preprocessor', None)
    height, width = getattr(preprocessor, 'size', None) or DRY_RUN_SIZE
    mean = getattr(preprocessor, 'mean', None)
    in_channels = mean.numel() if isinstance(mean, Tensor) else 3
    param = next(model.parameters())
    return torch.zeros(
        1, in_channels, height, width, device=param.device, dtype=param.dtype)


def _run(module: nn.Module, inputs, field: str) -> Tuple[Tensor, ...]:
    """``module(inputs)`` as a tuple of features; a failure names the
    module's config field and the channels it was given."""
    try:
        outputs = module(inputs)
    except Exception as error:
        given = (f'an input of shape {tuple(inputs.shape)}'
                 if isinstance(inputs, Tensor) else
                 f'features with channels {feature_channels(inputs)}')
        raise ValueError(f'{field} ({type(module).__name__}) fails on '
                         f'{given}: {error}; check the settings of {field}'
                         ) from error
    return (outputs, ) if isinstance(outputs, Tensor) else tuple(outputs)


def _check_neck(neck: nn.Module, backbone_channels: Tuple[int, ...],
                prefix: str) -> None:
    """Apply the ``in_channels`` rule to a neck that declares them."""
    in_channels = getattr(neck, 'in_channels', None)
    if isinstance(in_channels, Sequence):
        check_input_channels(in_channels, backbone_channels, f'{prefix}.neck',
                             f'{prefix}.backbone')


def _heads(model: nn.Module, prefix: str) -> List[Tuple[str, nn.Module]]:
    """``(config field, head)`` of every decode and auxiliary head."""
    heads = []
    for name in ('decode_head', 'auxiliary_head'):
        head = getattr(model, name, None)
        if isinstance(head, nn.ModuleList):
            heads += [(f'{prefix}.{name}[{i}]', h) for i, h in enumerate(head)]
        elif head is not None:
            heads.append((f'{prefix}.{name}', head))
    return heads


def _check_head(head: nn.Module, field: str, channels: Tuple[int, ...],
                source: str) -> None:
    if not isinstance(head, BaseDecodeHead):
        return
    in_index = head.in_index
    indices = list(in_index) if isinstance(in_index,
                                           (list, tuple)) else [in_index]
    levels = ', '.join(f'{i}: {c}' for i, c in enumerate(channels))
    if not all(-len(channels) <= i < len(channels) for i in indices):
        raise ValueError(
            f'{field}.in_index={in_index!r} is out of range: {source} '
            f'outputs {len(channels)} feature levels (index: channels '
            f'{levels}). Set {field}.in_index to levels in '
            f'0..{len(channels) - 1}.')
    selected = [channels[i] for i in indices]
    if head.input_transform == 'resize_concat':
        matches, needed = head.in_channels == sum(selected), selected
    elif head.input_transform == 'multiple_select':
        matches, needed = list(head.in_channels) == selected, selected
    else:
        matches, needed = head.in_channels == selected[0], selected[0]
    if not matches:
        raise ValueError(
            f'{field}.in_channels does not match the features it reads: '
            f'{field}.in_index={in_index!r} selects {source} levels with '
            f'channels {needed}, but the head was built for '
            f'{head.in_channels!r} channels. Set {field}.in_channels='
            f'{needed!r}.')
