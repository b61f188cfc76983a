# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Models built from configs, and the channels and stride of each backbone
output, probed on the meta device (no weights allocated)."""
import contextlib
import copy
import warnings
from typing import List, NamedTuple, Tuple

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope

from mmseg.registry import MODELS

#: side of the probe image; a multiple of every stride jpuify deals with
PROBE_SIZE = 256


class Level(NamedTuple):
    """One backbone output."""
    stage: int
    channels: int
    stride: int


def build_model(cfg: ConfigDict, meta: bool = True) -> nn.Module:
    """Build a model config of mmseg's registry, SyncBN as BN; on the meta
    device unless ``meta`` is False."""
    device = torch.device('meta') if meta else contextlib.nullcontext()
    with DefaultScope.overwrite_default_scope('mmseg'), device, \
            warnings.catch_warnings():
        warnings.simplefilter('ignore')  # deprecation notes of the configs
        return revert_sync_batchnorm(MODELS.build(copy.deepcopy(cfg)))


def meta_image(channels: int = 3) -> torch.Tensor:
    """A (1, channels, PROBE_SIZE, PROBE_SIZE) image on the meta device."""
    return torch.empty(1, channels, PROBE_SIZE, PROBE_SIZE, device='meta')


def backbone_levels(backbone: ConfigDict) -> List[Level]:
    """The levels a backbone config outputs, in output order."""
    module = build_model(backbone)
    module.eval()  # mmseg's ResNet.train returns None
    outs = module(meta_image(backbone.get('in_channels', 3)))
    outs = [outs] if isinstance(outs, torch.Tensor) else outs
    return [
        Level(stage, out.shape[1], PROBE_SIZE // out.shape[2])
        for stage, out in zip(sorted(module.out_indices), outs)
    ]


def feature_heads(model: ConfigDict) -> List[Tuple[str, ConfigDict]]:
    """``(config field, head config)`` of every head that reads features:
    a decode head may be a list (``CascadeEncoderDecoder``), and K-Net's
    ``IterativeDecodeHead`` reads through its ``kernel_generate_head``."""
    heads = []
    for field in ('decode_head', 'auxiliary_head'):
        value = model.get(field) or []
        listed = isinstance(value, (list, tuple))
        for i, head in enumerate(value if listed else [value]):
            name = f'model.{field}' + (f'[{i}]' if listed else '')
            while head.get('kernel_generate_head'):
                name = f'{name}.kernel_generate_head'
                head = head.kernel_generate_head
            heads.append((name, head))
    return heads
