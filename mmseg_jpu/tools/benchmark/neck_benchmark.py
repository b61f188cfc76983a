# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Our JointPyramidUpsampling against mmseg's built-in ``JPU`` at the same
settings (same convolutions, same arithmetic), forward and
forward+backward, timed interleaved."""
import functools
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from mmseg.registry import MODELS
from mmseg_jpu.tools.benchmark.timing import latency_summary, time_interleaved

RESNET_CHANNELS = (512, 1024, 2048)
RESNET_STRIDES = (8, 16, 32)


def build_necks(width: int, dilations: Sequence[int],
                in_channels: Sequence[int] = RESNET_CHANNELS
                ) -> Dict[str, nn.Module]:
    """Both necks with BN, ``width`` channels per branch, aligned corners.
    """
    common = dict(
        in_channels=tuple(in_channels),
        dilations=tuple(dilations),
        align_corners=True,
        norm_cfg=dict(type='BN'))
    return {
        'JointPyramidUpsampling':
        MODELS.build(dict(type='JointPyramidUpsampling', width=width,
                          **common)),
        'mmseg JPU': MODELS.build(dict(type='JPU', mid_channels=width,
                                       **common)),
    }


PASSES = ('forward', 'forward+backward')


def _step(neck: nn.Module, passes: str) -> Callable[[Tuple], None]:
    """One call of ``neck`` in eval mode without gradients, or in training
    mode with a backward pass."""
    if passes == 'forward':
        def forward(levels):
            neck.eval()
            with torch.no_grad():
                neck(levels)
        return forward

    def forward_backward(levels):
        neck.train()
        neck(levels)[-1].sum().backward()
        neck.zero_grad(set_to_none=True)
    return forward_backward


def benchmark_necks(size: Tuple[int, int],
                    batch: int,
                    width: int,
                    dilations: Sequence[int],
                    device: torch.device,
                    runs: int,
                    warmup: int,
                    on_step: Optional[Callable[[str], None]] = None
                    ) -> List[Dict]:
    """One record per neck and pass (``forward``, ``forward+backward``) for
    ResNet C3..C5 features of a ``size`` input."""
    levels = tuple(
        torch.randn(batch, channels, size[0] // stride, size[1] // stride,
                    device=device)
        for channels, stride in zip(RESNET_CHANNELS, RESNET_STRIDES))
    functions = {}
    for name, neck in build_necks(width, dilations).items():
        for passes in PASSES:
            functions[(name, passes)] = functools.partial(
                _step(neck.to(device), passes), levels)
    times = time_interleaved(functions, device, runs, warmup, on_step)
    return [
        dict(neck=name, passes=passes, width=width, dilations=list(dilations),
             input_size=list(size), batch=batch,
             **latency_summary(times[(name, passes)], batch))
        for name, passes in functions
    ]
