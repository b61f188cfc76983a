# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""What a backbone outputs, found by running it on the meta device: the
channels and stride of each level, without allocating weights. Every rule of
jpuify that needs channels or strides asks this module, so no backbone's
layout is written down twice."""
import contextlib
import copy
import warnings
from dataclasses import dataclass
from typing import List

import torch
import torch.nn as nn
from mmengine.config import ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope

from mmseg.registry import MODELS

#: side of the probe image; a multiple of every stride jpuify deals with
PROBE_SIZE = 256


@dataclass(frozen=True)
class Level:
    """One backbone output: the stage it comes from, its channels and its
    stride relative to the input."""
    stage: int
    channels: int
    stride: int


def build_model(cfg: ConfigDict, meta: bool = True) -> nn.Module:
    """Build a model config of mmseg's registry, SyncBN as BN; on the meta
    device (shapes only, no memory) unless ``meta`` is False."""
    device = torch.device('meta') if meta else contextlib.nullcontext()
    with DefaultScope.overwrite_default_scope('mmseg'), device, \
            warnings.catch_warnings():
        warnings.simplefilter('ignore')  # deprecation notes of the configs
        return revert_sync_batchnorm(MODELS.build(copy.deepcopy(cfg)))


def meta_image(channels: int = 3) -> torch.Tensor:
    """A ``PROBE_SIZE`` square image on the meta device (modules built on
    it run without the device context, which would slow every op)."""
    return torch.empty(1, channels, PROBE_SIZE, PROBE_SIZE, device='meta')


def backbone_levels(backbone: ConfigDict) -> List[Level]:
    """The levels a backbone config outputs, in output order."""
    module = build_model(backbone)
    module.eval()
    in_channels = backbone.get('in_channels', 3)
    outs = module(meta_image(in_channels))
    if isinstance(outs, torch.Tensor):
        outs = [outs]
    stages = sorted(module.out_indices)
    return [
        Level(stage, int(out.shape[1]), PROBE_SIZE // int(out.shape[2]))
        for stage, out in zip(stages, outs)
    ]
